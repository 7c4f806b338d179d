"""Installed (on the worker's path) but never declared: importing it must be refused."""

IMPORTED = True
