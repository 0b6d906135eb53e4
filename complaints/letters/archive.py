"""Zip archives of stored letters, with a README.txt (what is in it, what
was left out and why) and SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import channels
from ..evidence import private_headers
from ..models import Letter, Status
from . import issue

# The export makes letters in the language they are filed in.
EXPORT_LANGUAGE = "zh-hans"


# A zip stays in memory up to this size, then spills to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024


_CHUNK = 64 * 1024


@dataclass
class _Entry:
    name: str
    sha256: str  # of the bytes put in the zip
    letter: Letter
    intact: bool  # those bytes match the hash recorded with the letter


class LetterArchive:
    """A zip of stored letters built in a temporary file, with a README.txt
    (what is in it, what was left out and why) and SHA256SUMS (for
    `sha256sum -c`). Each file is copied from storage in chunks and hashed
    on the way, so a stored file that no longer matches its recorded hash
    is reported rather than passed on silently."""

    def __init__(self, title: str):
        self.title = title
        self.entries: list[_Entry] = []
        self.skipped: list[tuple[str, str, str]] = []
        # Handed to the FileResponse, which closes it.
        self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._zip = zipfile.ZipFile(self._spool, "w", zipfile.ZIP_DEFLATED)

    def add(self, letter: Letter, case_number: str) -> None:
        name = f"{case_number}/{letter.file_name}"
        try:
            source = letter.file.storage.open(letter.file.name, "rb")
        except FileNotFoundError:
            self.skip(case_number, letter.channel, _("the stored file is missing"))
            return
        moment = timezone.localtime(letter.created_at)
        info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        digest = hashlib.sha256()
        with source, self._zip.open(info, "w") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                target.write(chunk)
        sha256 = digest.hexdigest()
        self.entries.append(_Entry(name, sha256, letter, sha256 == letter.sha256))

    def skip(self, case_number: str, channel, reason) -> None:
        label = channel.display_name if channel is not None else ""
        self.skipped.append((case_number, label, str(reason)))

    def _readme(self, user) -> str:
        lines = [
            self.title,
            _("Made on %(when)s by %(user)s.")
            % {"when": f"{timezone.localtime():%Y-%m-%d %H:%M}", "user": user},
            "",
            _(
                "Each file is a stored letter version, byte for byte. Check "
                "the files with: sha256sum -c SHA256SUMS"
            ),
            "",
            _("Files (%(count)d):") % {"count": len(self.entries)},
        ]
        for entry in self.entries:
            letter = entry.letter
            lines.append(f"{letter.sha256}  {entry.name}")
            lines.append(
                "    "
                + _("%(channel)s, version %(version)d, made %(when)s")
                % {
                    "channel": letter.channel.display_name,
                    "version": letter.version,
                    "when": f"{timezone.localtime(letter.created_at):%Y-%m-%d %H:%M}",
                }
            )
            if not entry.intact:
                lines.append(
                    "    "
                    + _(
                        "WARNING: the stored file does not match the SHA-256 "
                        "recorded when the letter was made; its bytes hash to "
                        "%(sha256)s."
                    )
                    % {"sha256": entry.sha256}
                )
        if not self.entries:
            lines.append("    " + _("(none)"))
        lines += ["", _("Left out (%(count)d):") % {"count": len(self.skipped)}]
        for case_number, channel, reason in self.skipped:
            where = f"{case_number} / {channel}" if channel else case_number
            lines.append(f"{where}: {reason}")
        if not self.skipped:
            lines.append("    " + _("(none)"))
        return "\r\n".join(lines) + "\r\n"

    def response(self, request) -> FileResponse:
        """Finish the zip and stream it (the temporary file is closed when
        the response is)."""
        try:
            self._zip.writestr("README.txt", self._readme(request.user))
            self._zip.writestr(
                "SHA256SUMS",
                # The hashes recorded when the letters were made: a file that
                # no longer matches fails `sha256sum -c`.
                "".join(f"{e.letter.sha256}  {e.name}\n" for e in self.entries),
            )
            self._zip.close()
            self._spool.seek(0)
        except BaseException:
            self.close()
            raise
        response = FileResponse(
            self._spool,
            as_attachment=True,
            filename=f"letters-{timezone.localdate():%Y-%m-%d}.zip",
            content_type="application/zip",
        )
        return private_headers(response)

    def close(self) -> None:
        self._zip.close()
        self._spool.close()


def problems_text(items) -> str:
    return " ".join(str(getattr(p, "message", p)) for p in items)


def export_case(archive: LetterArchive, actor, complaint, channel_list) -> None:
    """The current letter of each ready channel of one case, into the zip;
    every other channel with the reason it was left out."""
    number = complaint.number
    if complaint.status == Status.DRAFT:
        archive.skip(
            number,
            None,
            _("a draft: letters are made once the owner has submitted the case."),
        )
        return
    for entry in channels.channel_plan(complaint, channel_list):
        channel = entry.channel
        if not entry.usable:
            archive.skip(
                number,
                channel,
                _("not available for this case. %(why)s")
                % {"why": problems_text(entry.reasons)},
            )
            continue
        if not channel.letter_template:
            archive.skip(number, channel, _("this channel has no letter."))
            continue
        if not channels.template_exists(channel.letter_template):
            archive.skip(
                number,
                channel,
                _("the letter template %(template)s does not exist.")
                % {"template": channel.letter_template},
            )
            continue
        if entry.missing:
            archive.skip(
                number,
                channel,
                _("not ready, facts are missing. %(why)s")
                % {"why": problems_text(entry.missing)},
            )
            continue
        try:
            letter, _created = issue.letter_issue(
                actor=actor,
                complaint=complaint,
                channel=channel,
                language=EXPORT_LANGUAGE,
            )
        except issue.LetterNotReady as error:
            archive.skip(
                number,
                channel,
                f"{error.message} {problems_text(error.problems)}".strip(),
            )
        except PermissionDenied:
            archive.skip(number, channel, _("you may not make this letter."))
        else:
            archive.add(letter, number)
