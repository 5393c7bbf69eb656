"""Connected regional systems: the second bounded context of intake, in its own wing."""
