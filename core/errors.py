class ProtocolError(Exception):
    """The protocol (or the record) does not allow this now: a refusal a user can act on, not a
    crash. Carries sentences a clinician can act on."""

    def __init__(self, *messages: str):
        self.messages = [m for m in messages if m]
        super().__init__(" ".join(self.messages))
