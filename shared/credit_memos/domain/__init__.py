"""Pure domain: documents, application records and the rules that move credit.

Nothing here does I/O. Functions mutate the documents they are given (freshly read
for each attempt by the service) and return the records they create.
"""
