"""The DynamoDB adapter: keys, items, errors, pagination tokens, the repository, the client."""
