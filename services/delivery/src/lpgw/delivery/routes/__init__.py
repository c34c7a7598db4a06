"""One router per resource delivery serves."""
