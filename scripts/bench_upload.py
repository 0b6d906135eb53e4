"""Memory benchmark for evidence uploads through the real upload path.

    .venv/bin/python scripts/bench_upload.py [--size-mb 25] [--uploads 1]
        [--warmup upload|get] [--storage filesystem|s3] [--wsgi MODULE] [--keep]

Sets up a throwaway installation (SQLite database and media folder in a
temporary directory, migrated), a user with a draft case and a logged-in
session, and starts gunicorn with one sync worker and production-like
settings (DEBUG off, DJANGO_SECURE=0 because there is no TLS here). After a
warm-up it streams a random-bytes MP4 of --size-mb MiB (a valid `ftyp` box,
then an `mdat` box; `complaints.evidence.inspect_upload` accepts it) as
multipart/form-data to the JSON endpoint `complaints:evidence_upload_one`,
in 256 KiB pieces, with the CSRF token. It checks the 201 answer and the
SHA-256, downloads the stored file again and compares it, and prints the
worker's peak resident memory (VmHWM from /proc/<worker>/status; the worker
is the gunicorn master's child) after the warm-up and after the upload.

Growth is the upload's peak RSS minus the RSS the worker had just before it:
the peak is reset to the current RSS first (writing 5 to
/proc/<worker>/clear_refs), so an earlier, higher peak cannot hide it.
Target (issue 3): under 10 MiB for a 25 MiB file. Exit status 0 when every
upload passes, 1 otherwise. The download's peak is shown too, for
information.

The warm-up is by default a small upload, so one-time costs (libmagic's
database, the first multipart parse) are paid before measuring; with
`--warmup get` only the upload page is fetched first, and those costs show.

With `--storage s3` the evidence goes to S3-compatible object storage
(EVIDENCE_STORAGE_BACKEND=s3) served by a minimal S3 stand-in started here
in its own process (objects kept on disk), so the worker's memory includes
what boto3 needs to send the file.

Everything is removed at the end (gunicorn stopped, temporary directory
deleted), also on failure or Ctrl-C, unless --keep is given. Linux only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
TARGET_GROWTH = 10 * MIB
PIECE = 256 * 1024


# --- The file ------------------------------------------------------------------


def _box(kind: bytes, payload_size: int) -> bytes:
    """An ISO-BMFF box header for a payload of `payload_size` bytes."""
    return struct.pack(">I", 8 + payload_size) + kind


def write_mp4(path: Path, size: int) -> str:
    """A `size`-byte MP4 (ftyp, then mdat full of random bytes); returns its
    SHA-256."""
    ftyp_payload = b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    head = _box(b"ftyp", len(ftyp_payload)) + ftyp_payload
    mdat_payload = size - len(head) - 8
    head += _box(b"mdat", mdat_payload)
    digest = hashlib.sha256(head)
    with open(path, "wb") as out:
        out.write(head)
        left = mdat_payload
        while left:
            chunk = os.urandom(min(MIB, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def accepted_mp4(path: Path, size: int) -> tuple[str, str]:
    """Write an MP4 that inspect_upload accepts (random bytes may, very
    rarely, spell out markup it refuses); returns (sha256, content type)."""
    from django.core.files import File

    from complaints.evidence import EvidenceRejected, inspect_upload

    for _attempt in range(5):
        sha256 = write_mp4(path, size)
        with open(path, "rb") as handle:
            try:
                inspection = inspect_upload(File(handle, name=path.name))
            except EvidenceRejected as error:
                if error.code == "markup":
                    continue
                raise
        assert inspection.sha256 == sha256
        return sha256, inspection.content_type
    raise RuntimeError("could not make an acceptable random MP4")


# --- The server ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp: Path) -> dict[str, str]:
    """A production-like environment pointing at the throwaway installation;
    nothing of the developer's DJANGO_*/EVIDENCE_* settings leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EVIDENCE_", "AXES_", "AWS_"))
        and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECURE="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_MANIFEST="0",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(tmp / "media"),
        DJANGO_FILE_UPLOAD_TEMP_DIR=str(tmp / "upload-tmp"),
        EVIDENCE_STORAGE_BACKEND="filesystem",
    )
    return env


S3_BUCKET = "bench-evidence"


def s3_env(port: int) -> dict[str, str]:
    return {
        "EVIDENCE_STORAGE_BACKEND": "s3",
        "EVIDENCE_S3_BUCKET": S3_BUCKET,
        "EVIDENCE_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "EVIDENCE_S3_REGION": "us-east-1",
        "EVIDENCE_S3_ACCESS_KEY_ID": "bench",
        "EVIDENCE_S3_SECRET_ACCESS_KEY": "bench-secret",
    }


def serve_s3_stub(root: str, port: int) -> None:
    """Just enough of S3 (path-style, no auth) for django-storages to save,
    check, open and delete objects: PUT, multipart uploads, HEAD, ranged
    GET, DELETE. Objects are files under `root`. Runs until killed."""
    import email.utils
    import xml.sax.saxutils
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, unquote, urlsplit

    base = Path(root)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _target(self):
            url = urlsplit(self.path)
            key = unquote(url.path).lstrip("/").partition("/")[2]
            digest = hashlib.sha256(key.encode()).hexdigest()
            return key, base / "objects" / digest, parse_qs(url.query, True)

        def _reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _receive(self, path: Path) -> str:
            left = int(self.headers.get("Content-Length") or 0)
            digest = hashlib.md5(usedforsecurity=False)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as out:
                while left:
                    data = self.rfile.read(min(left, 65536))
                    if not data:
                        break
                    digest.update(data)
                    out.write(data)
                    left -= len(data)
            return f'"{digest.hexdigest()}"'

        def do_PUT(self):
            key, path, query = self._target()
            if "uploadId" in query:
                upload, number = query["uploadId"][0], query["partNumber"][0]
                etag = self._receive(base / "parts" / upload / f"{int(number):05d}")
            else:
                etag = self._receive(path)
            self._reply(200, headers=[("ETag", etag)])

        def do_POST(self):
            key, path, query = self._target()
            left = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(left)
            name = xml.sax.saxutils.escape(key)
            if "uploads" in query:
                upload = uuid.uuid4().hex
                (base / "parts" / upload).mkdir(parents=True)
                body = (
                    "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
                    f"<Key>{name}</Key><UploadId>{upload}</UploadId>"
                    "</InitiateMultipartUploadResult>"
                )
            else:
                parts = base / "parts" / query["uploadId"][0]
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as out:
                    for part in sorted(parts.iterdir()):
                        with open(part, "rb") as handle:
                            shutil.copyfileobj(handle, out)
                shutil.rmtree(parts)
                body = (
                    "<CompleteMultipartUploadResult><Bucket>b</Bucket>"
                    f'<Key>{name}</Key><ETag>"multipart"</ETag>'
                    "</CompleteMultipartUploadResult>"
                )
            self._reply(200, body.encode(), [("Content-Type", "application/xml")])

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            _key, path, _query = self._target()
            if not path.is_file():
                body = b"<Error><Code>NoSuchKey</Code></Error>"
                self._reply(404, body, [("Content-Type", "application/xml")])
                return
            size = path.stat().st_size
            start, end, status = 0, size - 1, 200
            if match := re.fullmatch(
                r"bytes=(\d+)-(\d*)", self.headers.get("Range", "")
            ):
                start = int(match[1])
                end = min(int(match[2] or size - 1), size - 1)
                status = 206
            self.send_response(status)
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("ETag", '"stub"')
            modified = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
            self.send_header("Last-Modified", modified)
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if self.command == "GET":
                with open(path, "rb") as handle:
                    handle.seek(start)
                    left = end - start + 1
                    while left:
                        data = handle.read(min(left, 65536))
                        self.wfile.write(data)
                        left -= len(data)

        def do_DELETE(self):
            _key, path, _query = self._target()
            path.unlink(missing_ok=True)
            self._reply(204)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


class S3Stub:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-s3-stub",
                str(tmp / "s3"),
                str(self.port),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the S3 stand-in did not start")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def gunicorn_path() -> str:
    candidate = Path(sys.executable).parent / "gunicorn"
    if candidate.exists():
        return str(candidate)
    return str(BASE_DIR / ".venv" / "bin" / "gunicorn")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may hold spaces.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry))
    return found


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux 4.0+), so the
    next reading is the peak of what follows alone."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Server:
    def __init__(self, tmp: Path, env: dict[str, str], wsgi: str):
        self.port = free_port()
        self.log = open(tmp / "gunicorn.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                gunicorn_path(),
                wsgi,
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.worker = None

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited; see its log above")
            workers = children(self.process.pid)
            if workers:
                try:
                    status, _, _ = self.request("GET", "/")
                except OSError:
                    status = None
                if status == 200:
                    if len(workers) != 1:
                        raise RuntimeError(f"expected one worker, found {workers}")
                    self.worker = workers[0]
                    return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheaders(), data
        finally:
            conn.close()

    def stop(self):
        if self.process.poll() is None:
            # The master stops its worker on SIGTERM; its session (process
            # group) is ours alone, started above.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()


# --- The installation --------------------------------------------------------------


def set_up_django(tmp: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "casetracker.settings"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def make_case_and_session() -> tuple[str, dict[str, str]]:
    """A user with a draft case, logged in; returns the case's public id and
    the session cookie (name → value)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connections

    from tests.factories import ComplaintFactory, UserFactory

    user = UserFactory()
    complaint = ComplaintFactory(owner=user)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    connections.close_all()
    return str(complaint.public_id), {settings.SESSION_COOKIE_NAME: session.session_key}


def multipart(fields: dict[str, str], file_field: str, path: Path, filename: str):
    """(content type, length, body iterator): the file is read from disk in
    PIECE-sized pieces as the request is sent."""
    boundary = f"----casetracker-bench-{uuid.uuid4().hex}"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n".encode()
        for name, value in fields.items()
    )
    head += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + path.stat().st_size + len(tail)

    def body():
        yield head
        with open(path, "rb") as handle:
            while piece := handle.read(PIECE):
                yield piece
        yield tail

    return f"multipart/form-data; boundary={boundary}", length, body()


class Client:
    def __init__(self, server: Server, cookies: dict[str, str]):
        self.server = server
        self.cookies = dict(cookies)

    def _headers(self, extra=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        headers.update(extra or {})
        return headers

    def request(self, method, path, body=None, headers=None):
        status, response_headers, data = self.server.request(
            method, path, body=body, headers=self._headers(headers)
        )
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return status, dict(response_headers), data

    def download_sha256(self, path) -> tuple[int, int, str]:
        """GET `path`, hashing the body as it arrives: (status, size, sha256)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=300)
        try:
            conn.request("GET", path, headers=self._headers())
            response = conn.getresponse()
            digest, size = hashlib.sha256(), 0
            while piece := response.read(PIECE):
                digest.update(piece)
                size += len(piece)
            return response.status, size, digest.hexdigest()
        finally:
            conn.close()

    def upload(self, url, path: Path, csrf_cookie: str):
        content_type, length, body = multipart(
            {
                "kind": "video",
                "purpose": "证明终端被停用的录屏",
                "is_original": "1",
            },
            "file",
            path,
            path.name,
        )
        return self.request(
            "POST",
            url,
            body=body,
            headers={
                "Content-Type": content_type,
                "Content-Length": str(length),
                "X-CSRFToken": self.cookies[csrf_cookie],
                "X-Requested-With": "XMLHttpRequest",
                "Accept": "application/json",
            },
        )


# --- The benchmark -----------------------------------------------------------------


def mib(value: int) -> str:
    return f"{value / MIB:.1f} MiB"


def run(args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="casetracker-bench-"))
    server = stub = None
    try:
        (tmp / "upload-tmp").mkdir()
        env = server_env(tmp)
        if args.storage == "s3":
            stub = S3Stub(tmp)
            env.update(s3_env(stub.port))
        set_up_django(tmp, env)
        from django.conf import settings
        from django.urls import reverse

        size = int(args.size_mb * MIB)
        if size > settings.EVIDENCE_MAX_FILE_BYTES:
            raise SystemExit(
                f"--size-mb {args.size_mb} is over the per-file limit "
                f"({mib(settings.EVIDENCE_MAX_FILE_BYTES)})"
            )
        public_id, cookies = make_case_and_session()
        upload_url = reverse("complaints:evidence_upload_one", args=[public_id])
        page_url = reverse("complaints:evidence_upload", args=[public_id])

        server = Server(tmp, env, args.wsgi)
        server.wait_ready()
        client = Client(server, cookies)
        print(
            f"gunicorn master {server.process.pid}, worker {server.worker}, "
            f"port {server.port}; storage {args.storage}; temporary directory {tmp}"
        )

        status, _, _ = client.request("GET", page_url)
        if status != 200 or settings.CSRF_COOKIE_NAME not in client.cookies:
            raise RuntimeError(f"upload page answered {status} without a CSRF cookie")
        if args.warmup == "upload":
            small = tmp / "warm-up.mp4"
            accepted_mp4(small, 64 * 1024)
            status, _, data = client.upload(
                upload_url, small, settings.CSRF_COOKIE_NAME
            )
            if status != 201:
                raise RuntimeError(f"warm-up upload answered {status}: {data[:500]!r}")
            print(f"warm-up: upload page and a 64 KiB upload (HTTP {status})")
        else:
            print("warm-up: upload page only")

        all_passed = True
        for number in range(1, args.uploads + 1):
            path = tmp / f"screen-recording-{number}.mp4"
            sha256, content_type = accepted_mp4(path, size)
            before = memory(server.worker)
            exact = reset_peak(server.worker)
            started = time.perf_counter()
            status, _, data = client.upload(upload_url, path, settings.CSRF_COOKIE_NAME)
            elapsed = time.perf_counter() - started
            after = memory(server.worker)
            if status != 201:
                raise RuntimeError(f"upload answered {status}: {data[:500]!r}")
            answer = json.loads(data)
            if answer["sha256"] != sha256 or answer["size"] != size:
                raise RuntimeError(f"the server stored something else: {answer}")
            path.unlink()

            download_url = reverse(
                "complaints:evidence_download", args=[public_id, answer["id"]]
            )
            d_before = memory(server.worker)
            reset_peak(server.worker)
            started = time.perf_counter()
            d_status, d_size, downloaded = client.download_sha256(download_url)
            d_elapsed = time.perf_counter() - started
            d_after = memory(server.worker)
            if d_status != 200 or downloaded != sha256 or d_size != size:
                raise RuntimeError(f"download answered {d_status}, sha256 {downloaded}")

            # The upload's peak above what the worker held when it began.
            growth = after["VmHWM"] - before["VmRSS"]
            passed = growth < TARGET_GROWTH
            all_passed &= passed
            print(
                f"upload {number}: {mib(size)} ({size} bytes) {content_type}, "
                f"sha256 {sha256[:16]}…\n"
                f"  time: {elapsed:.2f} s ({size / MIB / elapsed:.0f} MiB/s), "
                f"HTTP {status}, sha256 matches\n"
                f"  worker VmHWM: {mib(before['VmHWM'])} after the warm-up, "
                f"{mib(after['VmHWM'])} after the upload; "
                f"VmRSS at the start {mib(before['VmRSS'])}"
                f"{'' if exact else ' (peak not reset: kernel refused)'}\n"
                f"  download: {d_elapsed:.2f} s, sha256 matches, worker peak "
                f"{mib(d_after['VmHWM'] - d_before['VmRSS'])} above its RSS\n"
                f"  {'PASS' if passed else 'FAIL'}: upload peak memory growth "
                f"{mib(growth)} (target: under {mib(TARGET_GROWTH)})"
            )
        return all_passed
    except BaseException:
        if server is not None:
            server.log.flush()
            log = (tmp / "gunicorn.log").read_text(errors="replace")
            if log.strip():
                print("--- gunicorn log ---\n" + log[-4000:], file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        if stub is not None:
            stub.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 (Django may not be set up yet)
            pass
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    if sys.argv[1:2] == ["--serve-s3-stub"]:
        serve_s3_stub(sys.argv[2], int(sys.argv[3]))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size-mb", type=float, default=25.0)
    parser.add_argument(
        "--uploads", type=int, default=1, help="uploads in a row to one worker"
    )
    parser.add_argument("--warmup", choices=["upload", "get"], default="upload")
    parser.add_argument("--storage", choices=["filesystem", "s3"], default="filesystem")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument(
        "--wsgi",
        default="casetracker.wsgi",
        help="the WSGI module gunicorn serves (to try a change without editing "
        "the app: a module on PYTHONPATH that patches, then imports "
        "casetracker.wsgi's application)",
    )
    args = parser.parse_args()
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
