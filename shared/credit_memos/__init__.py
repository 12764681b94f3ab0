"""Credit memo service: domain package shared by every Lambda function."""
