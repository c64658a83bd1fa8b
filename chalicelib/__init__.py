"""Berth's Lambda runtime: everything here ships to AWS with app.py."""
