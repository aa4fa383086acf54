"""What a reader or writer refuses, said so a person can find it: which task, which field, and why."""

from __future__ import annotations


class ExchangeError(Exception):
    """Input that cannot be read or written faithfully. ``where`` names the task and the field
    (``task 2001, annotations[0].result[1].value.x``); nothing is written when one is raised."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


class UnsupportedTags(ExchangeError):
    """A labeling config uses tags this platform has no equivalent for. Their labels would be lost, so
    the import stops and names every one of them rather than dropping them silently."""

    def __init__(self, tags: list[str]) -> None:
        super().__init__(f"unsupported labeling-config tags: {', '.join(tags)}", "label_config.xml")
        self.tags = tags
