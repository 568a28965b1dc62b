"""Domain errors: an action refuses because a rule of the domain forbids it."""


class DomainError(Exception):
    """Raised by actions; the message is translated and safe to show to the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
