"""The Salesforce-compatible surface (spec section 13): Revenue Cloud Billing's request and response
shapes translated to and from the native request models and views; no rule of its own.

Only the two Salesforce functions import this package, so the native functions' cold start and
warm path do not change (docs/salesforce.md).
"""
