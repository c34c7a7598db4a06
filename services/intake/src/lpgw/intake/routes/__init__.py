"""One router per resource of the application-facing API."""
