"""Probabilistic micropayments: tickets, EV, fees, balances. Pure functions, no I/O."""
