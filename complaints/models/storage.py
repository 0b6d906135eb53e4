"""The private storages for evidence files and generated letters, resolved
from settings.STORAGES on every call.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages


class EvidenceStorage(Storage):
    """The private storage for evidence, resolved on every call.

    A FileField evaluates its storage once, when models load; this proxy
    looks up `settings.STORAGES["evidence"]` each time instead, so a settings
    change (another backend, a test's temporary folder) applies everywhere.
    """

    @staticmethod
    def _target() -> Storage:
        return storages["evidence"]

    def open(self, name, mode="rb"):
        return self._target().open(name, mode)

    def save(self, name, content, max_length=None):
        return self._target().save(name, content, max_length=max_length)

    def delete(self, name):
        return self._target().delete(name)

    def exists(self, name):
        return self._target().exists(name)

    def listdir(self, path):
        return self._target().listdir(path)

    def size(self, name):
        return self._target().size(name)

    def path(self, name):
        return self._target().path(name)

    def url(self, name):
        return self._target().url(name)

    def get_modified_time(self, name):
        return self._target().get_modified_time(name)

    def get_accessed_time(self, name):
        return self._target().get_accessed_time(name)

    def get_created_time(self, name):
        return self._target().get_created_time(name)

    def get_available_name(self, name, max_length=None):
        return self._target().get_available_name(name, max_length=max_length)

    def get_valid_name(self, name):
        return self._target().get_valid_name(name)

    def generate_filename(self, filename):
        return self._target().generate_filename(filename)


_evidence_storage = EvidenceStorage()


def evidence_storage() -> Storage:
    """The private storage for evidence files (settings.STORAGES["evidence"])."""
    return _evidence_storage


class LetterStorage(EvidenceStorage):
    """The private storage for generated letters (settings.STORAGES["letters"])."""

    @staticmethod
    def _target() -> Storage:
        return storages["letters"]


_letter_storage = LetterStorage()


def letter_storage() -> Storage:
    return _letter_storage
