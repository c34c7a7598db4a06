"""Every batch AI pipeline, declared once (issue 8): intake, session and devnet read the same
declaration, so the tenth pipeline is one entry."""
