"""Clinic administration: sites, rooms, physicians' hours and time off, users and their tokens."""
