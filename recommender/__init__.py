"""Collaborative filtering over shoppers' interactions."""
