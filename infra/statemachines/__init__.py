"""Step Functions state machines: ASL definitions (*.asl.json) and the local runner."""
