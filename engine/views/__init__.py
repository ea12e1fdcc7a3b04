"""Plain data and text for people: every JSON contract, the tables the CLI prints, and the app's
view model. Nothing here reads a file or parses arguments."""
