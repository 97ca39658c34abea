"""End-to-end tests of videos and playlists through nginx with the Workers running: uploads in one
request and resumable ones, the thumbnail and H.264 rendition the Workers make with ffmpeg, what
nginx serves from /media/, refusals, and the files a cut-off upload or a delete leave behind (none).
Settings as in auth_flows.py, plus E2E_MEDIA_DIR (the stack's media folder) and E2E_MAX_UPLOAD
(ContentService's upload limit in bytes).
"""
import base64
import http.client
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid

from auth_flows import URL, call, new_email, sql

MEDIA_DIR = os.environ.get("E2E_MEDIA_DIR", ".dev/media")
MAX_UPLOAD = int(os.environ.get("E2E_MAX_UPLOAD", "20000000"))
HOST = urllib.parse.urlparse(URL)
BOUNDARY = "e2e-" + uuid.uuid4().hex


def make_clip(folder, seconds=2):
    path = os.path.join(folder, "clip.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=640x360:rate=25",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest", "-pix_fmt", "yuv420p",
                    "-c:v", "mpeg4", "-c:a", "aac", path], check=True)
    with open(path, "rb") as f:
        return f.read()


def multipart(title, data, filename="clip.mp4"):
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: video/mp4\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def send(method, path, body=b"", headers=None, token=None):
    """(status, headers, body bytes) with a raw body; a server that answers before reading the whole
    body (413) may close early, which is fine."""
    connection = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=60)
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=body, headers=headers)
    except (BrokenPipeError, ConnectionResetError):
        pass
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.headers, data


def upload(title, data, token, filename="clip.mp4"):
    status, headers, body = send("POST", "/api/videos", multipart(title, data, filename),
                                 {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}, token)
    return status, headers, (json.loads(body) if body else None)


def ffprobe(path, entries):
    return subprocess.run(["ffprobe", "-v", "error", "-show_entries", entries, "-of", "default=noprint_wrappers=1", path],
                          check=True, capture_output=True, text=True).stdout


def media_files(video_id):
    """Every file under the media folder whose name holds the video's id."""
    found = []
    for root, _, files in os.walk(MEDIA_DIR):
        found += [os.path.relpath(os.path.join(root, name), MEDIA_DIR) for name in files if video_id in name]
    return sorted(found)


def wait_until(check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


class VideoFlows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp()
        cls.clip = make_clip(cls.folder)

    def user(self):
        address = new_email()
        status, _, user = call("POST", "/api/auth/signup", {"email": address, "password": "correct horse", "nickname": "영상"})
        self.assertEqual(status, 201, user)
        status, _, session = call("POST", "/api/auth/login", {"email": address, "password": "correct horse"})
        self.assertEqual(status, 200, session)
        return user, session["accessToken"]

    def wait_ready(self, video_id, token):
        # Until it is ready a video is its owner's only: asked as its owner.
        video = wait_until(lambda: (lambda v: v if v["status"] != "processing" else None)(call("GET", f"/api/videos/{video_id}", token=token)[2]))
        self.assertIsNotNone(video, "the video stayed processing")
        self.assertEqual(video["status"], "ready", video)
        return video

    def fetch(self, url, headers=None):
        return send("GET", url, headers=headers)

    def test_an_upload_is_accepted_at_once_and_becomes_a_thumbnail_and_a_playable_rendition(self):
        user, token = self.user()
        started = time.monotonic()
        status, headers, accepted = upload("테스트 영상", self.clip, token, filename="../../etc/passwd")
        self.assertEqual(status, 202, accepted)
        self.assertEqual(accepted["status"], "processing")
        self.assertLess(time.monotonic() - started, 5)
        video_id = accepted["id"]
        # The name on disk comes from the id, never from the client.
        self.assertEqual(media_files(video_id), [f"originals/{video_id}.mp4"])

        video = self.wait_ready(video_id, token)
        self.assertEqual(video["ownerId"], user["id"])
        self.assertAlmostEqual(video["durationSeconds"], 2.0, delta=0.2)
        self.assertEqual(video["sizeBytes"], len(self.clip))

        status, headers, jpeg = self.fetch(video["thumbnailUrl"])
        self.assertEqual((status, headers["Content-Type"]), (200, "image/jpeg"))
        self.assertIn("max-age", headers["Cache-Control"])
        thumbnail = os.path.join(self.folder, "thumb.jpg")
        with open(thumbnail, "wb") as f:
            f.write(jpeg)
        self.assertIn("width=320", ffprobe(thumbnail, "stream=width"))

        status, headers, mp4 = self.fetch(video["playbackUrl"])
        self.assertEqual((status, headers["Content-Type"]), (200, "video/mp4"))
        rendition = os.path.join(self.folder, "rendition.mp4")
        with open(rendition, "wb") as f:
            f.write(mp4)
        streams = ffprobe(rendition, "stream=codec_name")
        self.assertIn("codec_name=h264", streams)
        self.assertIn("codec_name=aac", streams)
        # Seeking: a byte range is answered 206 with just those bytes.
        status, headers, part = self.fetch(video["playbackUrl"], {"Range": "bytes=100-199"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["Content-Range"], f"bytes 100-199/{len(mp4)}")
        self.assertEqual(part, mp4[100:200])
        # What was uploaded is not served.
        self.assertEqual(self.fetch(f"/media/originals/{video_id}.mp4")[0], 404)

        # Plays are recorded for analysts and counted on the video.
        self.assertEqual(call("POST", f"/api/videos/{video_id}/plays")[0], 204)
        self.assertEqual(call("POST", f"/api/videos/{video_id}/plays", token=token)[0], 204)
        self.assertEqual(call("GET", f"/api/videos/{video_id}")[2]["plays"], 2)
        self.assertTrue(wait_until(lambda: sql(f"SELECT count(*) FROM audit.events WHERE action = 'video.played' AND target_id = '{video_id}'") == "2", 30))

        # Deleting removes every file.
        self.assertEqual(call("DELETE", f"/api/videos/{video_id}", token=token)[0], 204)
        self.assertEqual(media_files(video_id), [])
        self.assertEqual(self.fetch(video["playbackUrl"])[0], 404)

    def test_refusals_leave_no_files(self):
        _, token = self.user()
        before = sorted(os.listdir(os.path.join(MEDIA_DIR, "originals")))
        status, _, error = upload("notes", b"just some text, not a video\n" * 20, token)
        self.assertEqual((status, error["error"]["code"]), (415, "unsupported_media_type"))
        big = self.clip[:1024] + b"\0" * (MAX_UPLOAD + 1_000_000)
        status, _, body = upload("too big", big, token)
        self.assertEqual(status, 413)
        self.assertEqual(body["error"]["code"], "payload_too_large")
        self.assertEqual(upload("anonymous", self.clip, None)[0], 401)

        # A client that hangs up halfway.
        title = "cut-" + uuid.uuid4().hex[:8]
        body = multipart(title, self.clip * 20)
        raw = socket.create_connection((HOST.hostname, HOST.port))
        raw.sendall((f"POST /api/videos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                    + body[:len(body) // 2])
        time.sleep(0.3)
        raw.close()
        self.assertTrue(wait_until(lambda: sorted(os.listdir(os.path.join(MEDIA_DIR, "originals"))) == before
                                   and not os.listdir(os.path.join(MEDIA_DIR, "incoming")), 15))
        self.assertEqual(sql(f"SELECT count(*) FROM content.videos WHERE title = '{title}'"), "0")

    def test_a_resumable_upload_interrupted_halfway_resumes_and_becomes_ready(self):
        _, token = self.user()
        tus = {"Tus-Resumable": "1.0.0"}
        metadata = "title " + base64.b64encode("이어 올리기".encode()).decode()
        status, headers, _ = send("POST", "/api/videos/uploads", headers={**tus, "Upload-Length": str(len(self.clip)), "Upload-Metadata": metadata}, token=token)
        self.assertEqual(status, 201)
        location = headers["Location"]
        half = len(self.clip) // 2
        # The first half, then the connection drops in the middle of the second.
        status, headers, _ = send("PATCH", location, self.clip[:half], {**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, token)
        self.assertEqual((status, headers["Upload-Offset"]), (204, str(half)))
        raw = socket.create_connection((HOST.hostname, HOST.port))
        raw.sendall((f"PATCH {location} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
                     f"Upload-Offset: {half}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {len(self.clip) - half}\r\n\r\n").encode()
                    + self.clip[half:half + 1000])
        time.sleep(0.3)
        raw.close()

        def resumable_offset():
            status, headers, _ = send("HEAD", location, headers=tus, token=token)
            offset = int(headers["Upload-Offset"])
            # Settled once the broken request has given the upload back.
            probe = send("PATCH", location, b"", {**tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}, token)
            return offset if probe[0] == 204 else None

        offset = wait_until(resumable_offset, 30)
        self.assertIsNotNone(offset)
        self.assertGreaterEqual(offset, half)
        status, _, body = send("PATCH", location, self.clip[offset:], {**tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}, token)
        self.assertEqual(status, 202, body)
        video = self.wait_ready(json.loads(body)["id"], token)
        self.assertEqual(video["title"], "이어 올리기")
        self.assertEqual(video["sizeBytes"], len(self.clip))

    def test_playlists_through_nginx_including_a_users_listing(self):
        user, token = self.user()
        _, stranger = self.user()
        status, _, accepted = upload("for a playlist", self.clip, token)
        self.assertEqual(status, 202)
        status, _, public = call("POST", "/api/playlists", {"title": "공개", "visibility": "public"}, token=token)
        self.assertEqual(status, 201, public)
        status, _, private = call("POST", "/api/playlists", {"title": "비공개", "visibility": "private"}, token=token)
        self.assertEqual(status, 201, private)
        self.assertEqual(call("POST", f"/api/playlists/{public['id']}/items", {"videoId": accepted["id"]}, token=token)[0], 201)
        # /api/users/{id}/playlists is ContentService's although /api/users/ is AuthService's.
        status, _, page = call("GET", f"/api/users/{user['id']}/playlists")
        self.assertEqual(status, 200, page)
        self.assertEqual([item["id"] for item in page["items"]], [public["id"]])
        status, _, page = call("GET", f"/api/users/{user['id']}/playlists", token=token)
        self.assertEqual([item["id"] for item in page["items"]], [private["id"], public["id"]])
        self.assertEqual(call("GET", "/api/users/me", token=token)[2]["id"], user["id"])
        self.assertEqual(call("GET", f"/api/playlists/{private['id']}", token=stranger)[0], 404)
        self.assertEqual(call("PATCH", f"/api/playlists/{public['id']}", {"title": "mine now"}, token=stranger)[0], 403)
        self.assertTrue(wait_until(lambda: sql(f"SELECT count(*) FROM audit.events WHERE action LIKE 'playlist.%' AND actor_id = '{user['id']}'") == "3", 30))


if __name__ == "__main__":
    unittest.main()
