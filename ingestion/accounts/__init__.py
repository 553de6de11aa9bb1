"""People accounts (admin, manager, employee) for the web dashboard and the reports API.

Separate from device keys: users log in with an email and a password (argon2id), get a revocable
session in PostgreSQL, and every route decides what they may see from that session alone.
"""
