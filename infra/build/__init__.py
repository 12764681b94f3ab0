"""Deployable artifacts: the layer build (`sam build`), `make build`, and checks of the built output."""
