"""The whole journey through the web client in a real headless Chromium, through nginx, at a
desktop (1280x900) and a phone (390x844) viewport, in Korean, as `deploy/e2e browser_journey`
runs it (settings as in auth_flows.py, plus E2E_REDIS_URL and E2E_LLM_URL).

A person signs up, opens the verification page from the mail, logs out and in again, keeps the
session across a reload, writes a post (with markup in it, which stays text), finds it by a Korean
syllable run inside a word, likes it, uploads a video made with ffmpeg by tus on a slowed network,
pauses or loses the network mid-way and goes on from where it stopped, sees it turn ready and play,
adds it to a private playlist that another person (another browser profile) cannot find, asks a
question twice (streamed, then from the cache), runs out of questions and sees when they come back;
an admin bans the other person, whose next page load signs them out with the ban message; the
first person forgets their password, follows the reset mail and logs in with the new one. Also: a
model answer full of markup renders inert, the security headers are on the page, a deep link, an
asset and a 404, axe finds nothing serious or critical on each screen, and the console is clean.

The day's question count is brought up to one short of the limit in Redis (the GPT service's own
key) so the run does not wait out the service's burst limit asking a hundred questions; the last
question is then used up, and refused, through the page.

Screenshots of the main screens go to E2E_SCREENSHOTS (a folder) when it is set.
"""
import os
import random
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

from auth_flows import REDIS_URL, URL, call, create_admin, link_in, new_email, wait_for_mail
from browser_support import Browser, By, headers_of, require_browser, security_header_problems

LLM_URL = os.environ.get("E2E_LLM_URL", "http://127.0.0.1:8089")

PAUSE = "일시 중지"
RESUME = "이어 올리기"
PLAYLIST_NOT_FOUND = "재생목록을 찾을 수 없습니다"
BANNED = "이용이 정지되었습니다"
XSS_TITLE = "<img src=x onerror=window.__xss=1>"
XSS_BODY = "<script>window.__xss=1</script>"


def hangul(count):
    """A run of random Hangul syllables: a word no other post has."""
    return "".join(chr(random.randint(0xAC00, 0xD7A3)) for _ in range(count))


def make_video(path):
    """A 4-second clip of a few MB (noise keeps it from compressing away), so an upload on a
    slowed network is still going when the test interrupts it."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=4:size=640x360:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-shortest", "-vf", "noise=alls=12:allf=t",
                    "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-q:v", "6", "-c:a", "aac", path], check=True)


def llm_config(**knobs):
    """Sets the LLM stand-in's knobs (deploy/llm-stub.py); the previous values of those knobs."""
    import json
    import urllib.request
    with urllib.request.urlopen(LLM_URL + "/config", timeout=5) as response:
        before = json.loads(response.read())
    request = urllib.request.Request(LLM_URL + "/config", data=json.dumps(knobs).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5):
        pass
    return {name: before[name] for name in knobs}


def redis_cli(*arguments):
    url = urllib.parse.urlparse(REDIS_URL)
    return subprocess.run(["redis-cli", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), *arguments],
                          check=True, capture_output=True, text=True).stdout.strip()


def api_login(address, password):
    status, _, session = call("POST", "/api/auth/login", {"email": address, "password": password})
    assert status == 200, (status, session)
    return session["accessToken"]


def api_user(nickname, password="correct horse"):
    address = new_email()
    status, _, user = call("POST", "/api/auth/signup", {"email": address, "password": password, "nickname": nickname})
    assert status == 201, (status, user)
    return address, password, user


class BrowserJourney(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_browser()
        cls.folder = tempfile.mkdtemp(prefix="e2e-browser-")
        cls.video = os.path.join(cls.folder, "여름 바다.mp4")
        make_video(cls.video)

    @classmethod
    def tearDownClass(cls):
        for name in os.listdir(cls.folder):
            os.remove(os.path.join(cls.folder, name))
        os.rmdir(cls.folder)

    def setUp(self):
        self.browsers = []
        self.findings = []
        self.started = time.monotonic()

    def tearDown(self):
        problems = []
        for browser in self.browsers:
            problems += [f"{browser.viewport}: {line}" for line in browser.console_errors()]
            browser.quit()
        if problems and not self._outcome_failed():
            self.fail("errors in the browser console:\n" + "\n".join(problems))

    def _outcome_failed(self):
        result = getattr(self._outcome, "result", None)
        errors = getattr(self._outcome, "errors", None)
        if errors:  # Python < 3.11
            return any(error for _, error in errors)
        return bool(result and any(test is self for test, _ in result.failures + result.errors))

    def browser(self, viewport):
        browser = Browser(viewport)
        self.browsers.append(browser)
        return browser

    def screen(self, browser, name, shot=True):
        """axe on the screen as it is; a screenshot of it."""
        self.findings += browser.axe(name)
        if shot:
            browser.shot(name)

    def assert_inert(self, browser, where):
        self.assertIsNone(browser.js("return window.__xss"), f"a payload ran on {where}")
        injected = browser.js("return [...document.querySelectorAll('main img[src=x], main script, main img[onerror]')].length")
        self.assertEqual(injected, 0, f"markup became elements on {where}")

    # --- the tests -----------------------------------------------------------------------------

    def test_security_headers_on_the_page_a_deep_link_an_asset_and_a_404(self):
        problems = []
        for path, expected in [("/", 200), ("/playlists/mine", 200), ("/js/main.js", 200), ("/css/base.css", 200),
                               ("/js/missing.js", 404), ("/api/no-such-route", 404)]:
            status, headers = headers_of(path)
            self.assertEqual(status, expected, path)
            problems += security_header_problems(path, headers)
        self.assertEqual(problems, [])
        self.assertEqual(headers_of("/videos/123")[1]["Cache-Control"], "no-cache", "a deep link is revalidated")
        self.assertIn("max-age", headers_of("/js/main.js")[1]["Cache-Control"])

    def test_journey_at_a_desktop_viewport(self):
        self.journey("desktop", interrupt="pause")

    def test_journey_at_a_phone_viewport(self):
        self.journey("phone", interrupt="offline")

    def test_a_model_answer_full_of_markup_renders_inert(self):
        address, password, _ = api_user("마크업")
        page = self.browser("desktop")
        self.log_in(page, address, password)
        payload = (f"**굵게** {XSS_TITLE} {XSS_BODY} <iframe src=/></iframe> "
                   "[누르기](javascript:window.__xss=1) ![사진](x onerror=window.__xss=1)")
        restore = llm_config(answer=payload)
        try:
            page.get("/ask")
            page.find("#question").send_keys(f"마크업 질문 {uuid.uuid4().hex}")
            page.click(page.find(".ask-form button[type=submit]"))
            page.find("ol.answers li.qa .source-badge[data-source]")
            answer = page.find("ol.answers li.qa .answer")
        finally:
            llm_config(**restore)
        self.assertEqual(answer.find_element(By.TAG_NAME, "strong").text, "굵게", "markdown is rendered")
        self.assertIn(XSS_TITLE, answer.text)
        self.assertIn(XSS_BODY, answer.text)
        self.assertEqual(answer.find_elements(By.CSS_SELECTOR, "img, script, iframe, a[href^=javascript]"), [])
        page.until(lambda d: d.execute_script("return document.readyState") == "complete")
        self.assertIsNone(page.js("return window.__xss"))

    def test_a_banned_reader_who_reloads_is_told_of_the_ban(self):
        # The refresh on page load is refused (403 account_banned): the page says why, not only
        # that nobody is signed in.
        address, password, user = api_user("정지될사람")
        page = self.browser("desktop")
        self.log_in(page, address, password, user["nickname"])
        admin_address = new_email()
        create_admin(admin_address, "admin password")
        token = api_login(admin_address, "admin password")
        self.assertEqual(call("POST", f"/api/admin/users/{user['id']}/ban", {"reason": "시험"}, token=token)[0], 204)
        page.expect_failed_load("/api/auth/refresh", 403)
        page.driver.refresh()
        page.signed_out()
        page.xpath(f"//*[@id='banner']//*[contains(., '{BANNED}')]", timeout=5)

    # --- the journey ------------------------------------------------------------------------------

    def log_in(self, page, address, password, nickname=None, check=False):
        page.get("/login")
        email = page.find("input[name=email]")
        if check:
            self.screen(page, "login", shot=False)
        email.send_keys(address)
        page.find("input[name=password]").send_keys(password)
        page.click(page.find("form button[type=submit]"))
        page.until(lambda d: not d.current_url.rstrip("/").endswith("/login"), "still on the login page")
        page.find(".account-link")
        if nickname:
            page.signed_in_as(nickname)

    def journey(self, viewport, interrupt):
        page = self.browser(viewport)
        nickname = f"여행자{random.randint(100, 999)}"
        address, password = new_email(), "처음 비밀번호입니다"

        # Sign up, with the password checked in bytes as the field is left.
        page.get("/signup")
        page.find("input[name=email]").send_keys(address)
        page.find("input[name=nickname]").send_keys(nickname)
        field = page.find("input[name=password]")
        field.send_keys("비밀")  # two syllables: six bytes, too short
        page.click(page.find("input[name=nickname]"))
        page.until(lambda d: field.get_attribute("aria-invalid") == "true", "a short password is not flagged")
        self.screen(page, "signup", shot=False)
        field.clear()
        field.send_keys(password)
        page.click(page.find("form button[type=submit]"))
        page.until(lambda d: "/account" in d.current_url, "sign-up did not reach the account page")
        page.signed_in_as(nickname)
        self.assertEqual(page.js("return document.documentElement.lang"), "ko")

        # The verification page from the mail.
        link = link_in(wait_for_mail(address, "Confirm your email address"))
        page.get(link)
        button = page.find("main .auth-screen button")
        self.assertTrue(page.driver.current_url.endswith("/verify-email"), "the token left the address bar")
        page.click(button)
        page.find("main .notice.success")

        # Log out, log in, reload: still signed in.
        page.get("/account")
        page.click(page.find("button[data-action=logout]"))
        page.signed_out()
        self.log_in(page, address, password, nickname, check=True)
        page.driver.refresh()
        page.signed_in_as(nickname)
        page.get("/account")
        page.find("button[data-action=logout]")
        self.screen(page, "account")

        # A post with markup in it, found by a Korean run inside a word, then liked.
        word = hangul(4)
        page.get("/posts/new")
        page.find("input[name=title]").send_keys(f"검색{word}엔진을 만들며 {XSS_TITLE}")
        page.find("textarea[name=body]").send_keys(f"데이터베이스 이야기 {XSS_BODY}\n둘째 줄")
        page.find("input[name=tags]").send_keys("브라우저, 한국어")
        page.click(page.find("form button[type=submit]"))
        page.until(lambda d: "/posts/" in d.current_url and not d.current_url.endswith("/new"), "the post was not published")
        heading = page.find("main h1")
        page.until(lambda d: XSS_TITLE in heading.text, "the title's markup is not shown as text")
        self.assert_inert(page, "the post page")
        post_url = page.driver.current_url
        self.screen(page, "post")

        page.get("/")
        card = page.xpath(f"//main//*[contains(@class,'post-card')][contains(., '{word}')]")
        self.assert_inert(page, "the feed")
        self.screen(page, "feed")

        page.get("/search?q=" + urllib.parse.quote(word[1:3]))
        card = page.find("main .post-card")
        page.until(lambda d: word[1:3] in [mark.text for mark in card.find_elements(By.TAG_NAME, "mark")],
                   "the match is not marked")
        self.assertIn(word, card.text)
        like = card.find_element(By.CSS_SELECTOR, "button.like")
        page.click(like)
        page.until(lambda d: like.get_attribute("aria-pressed") == "true", "the like did not take")
        self.assert_inert(page, "the search results")
        self.screen(page, "search")
        page.get(post_url)
        page.until(lambda d: d.find_element(By.CSS_SELECTOR, "main button.like").get_attribute("aria-pressed") == "true",
                   "the like is not kept")

        # The upload, slowed down, interrupted and resumed.
        page.get("/videos/upload")
        page.find("#video-file").send_keys(self.video)
        title = page.visible("form.upload-form input[name=title]")
        title.clear()
        title.send_keys(f"여름 바다 {viewport}")
        page.network(upload_bytes_per_second=900_000)
        page.click(page.find("form.upload-form button[type=submit]"))
        item = page.find("li.upload-item")
        bar = page.find("li.upload-item progress")
        page.until(lambda d: 5 <= int(float(bar.get_attribute("value") or 0)) < 70, "the upload did not get going", 30)
        if interrupt == "pause":
            page.click(page.xpath(f"//li[contains(@class,'upload-item')]//button[normalize-space()='{PAUSE}']"))
            page.until(lambda d: item.get_attribute("data-state") == "paused", "the upload did not pause")
            stopped = float(bar.get_attribute("value"))
            self.screen(page, "upload")
            resume = page.xpath(f"//li[contains(@class,'upload-item')]//button[normalize-space()='{RESUME}']")
            self.assertEqual(float(bar.get_attribute("value")), stopped, "a paused upload went on")
            page.click(resume)
        else:
            page.expect_failed_load("/api/videos/uploads/", "net::ERR_INTERNET_DISCONNECTED")
            page.network(offline=True)
            page.until(lambda d: item.get_attribute("data-state") in ("retrying", "failed"), "the loss was not noticed")
            page.find("main .notice.warning:not([hidden])")
            stopped = float(bar.get_attribute("value"))
            self.screen(page, "upload")
            page.network(upload_bytes_per_second=900_000)
        page.until(lambda d: float(bar.get_attribute("value")) > stopped, "the upload did not go on", 30)
        self.assertGreater(stopped, 0)
        page.until(lambda d: item.get_attribute("data-state") == "done", "the upload did not finish", 60)
        self.assertGreaterEqual(float(bar.get_attribute("value")), 100)
        page.network()
        # Processing, then ready: the card links to the video.
        watch = page.find("li.upload-item .processing-card.ready a.button", timeout=90)
        page.click(watch)
        player = page.find("main video.player")
        self.assertTrue(player.get_attribute("poster"), "the thumbnail is the poster")
        started = page.driver.execute_async_script("""
            const [video, done] = arguments;
            video.muted = true;
            video.play().then(() => done("playing"), (error) => done(String(error)));
        """, player)
        self.assertEqual(started, "playing")
        page.until(lambda d: d.execute_script("return arguments[0].currentTime", player) > 0.5, "the video does not play", 20)
        self.screen(page, "video")
        video_url = page.driver.current_url

        # A private playlist with the video in it.
        page.get("/playlists/mine")
        page.find("form.create-playlist input[name=title]").send_keys(f"나만 보는 목록 {viewport}")
        self.assertTrue(page.find("form.create-playlist input[name=visibility][value=private]").is_selected(),
                        "a new playlist is private unless chosen otherwise")
        page.click(page.find("form.create-playlist button[type=submit]"))
        page.until(lambda d: "/playlists/" in d.current_url and not d.current_url.endswith("/mine"), "no playlist made")
        playlist_url = page.driver.current_url
        page.get(video_url)
        select = page.find(".add-to-playlist select")
        playlist_id = playlist_url.rsplit("/", 1)[1]
        page.click(select)
        select.find_element(By.CSS_SELECTOR, f"option[value='{playlist_id}']").click()
        page.click(page.find(".add-to-playlist button[type=submit]"))
        page.find(".add-to-playlist .add-status.ok")
        page.get(playlist_url)
        page.find("main .playlist-item")
        self.screen(page, "playlist")

        # Another person, in another browser profile, cannot see it.
        other_address, other_password, other = api_user(f"다른사람{random.randint(100, 999)}")
        other_page = self.browser(viewport)
        self.log_in(other_page, other_address, other_password, other["nickname"])
        other_page.expect_failed_load(f"/api/playlists/{playlist_id}", 404)
        other_page.get(playlist_url)
        other_page.xpath(f"//main//*[contains(., '{PLAYLIST_NOT_FOUND}')]")

        # A question, streamed; the same again, from the cache.
        question = f"바다 영상 {uuid.uuid4().hex[:8]} 은 어떻게 만드나요?"
        restore = llm_config(stream_chunk_ms=80)
        try:
            page.get("/ask")
            page.find(".quota .quota-line")
            page.until(lambda d: d.find_element(By.CSS_SELECTOR, ".quota .quota-line").text, "no quota shown")
            page.js("""
                window.__seen = [];
                new MutationObserver(() => {
                  const answer = document.querySelector("ol.answers li.qa .answer");
                  if (answer && answer.getAttribute("aria-busy") === "true") window.__seen.push(answer.textContent);
                }).observe(document.querySelector("ol.answers"), {subtree: true, childList: true, characterData: true, attributes: true});
            """)
            page.find("#question").send_keys(question)
            page.click(page.find(".ask-form button[type=submit]"))
            page.find("ol.answers li.qa .source-badge[data-source=upstream]")
        finally:
            llm_config(**restore)
        final = page.find("ol.answers li.qa .answer").text
        partial = [text for text in dict.fromkeys(page.js("return window.__seen")) if text and text != final]
        self.assertGreaterEqual(len(partial), 2, f"the answer did not stream: {partial!r}")
        self.assertTrue(all(final.startswith(text.strip()) for text in partial), partial)
        page.find("#question").send_keys(question)
        page.click(page.find(".ask-form button[type=submit]"))
        page.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "ol.answers li.qa")) == 2, "no second answer")
        page.find("ol.answers li.qa:first-child .source-badge.cache")
        self.assertEqual(page.find("ol.answers li.qa:first-child .answer").text, final)
        self.screen(page, "ask")

        # The day's questions run out: the last one answered, the next refused with the reset time.
        token = api_login(address, password)
        quota = call("GET", "/api/gpt/quota", token=token)[2]
        me = call("GET", "/api/users/me", token=token)[2]
        keys = redis_cli("--scan", "--pattern", f"*:quota:*:user:{me['id']}").split()
        self.assertEqual(len(keys), 1, keys)
        redis_cli("SET", keys[0], str(quota["limit"] - 1), "KEEPTTL")
        page.expect_failed_load("/api/gpt/qna", 429)
        page.find("#question").send_keys(f"마지막 질문 {uuid.uuid4().hex[:8]}")
        page.click(page.find(".ask-form button[type=submit]"))
        page.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "ol.answers li.qa .source-badge")) == 3, "the last question")
        page.until(lambda d: d.find_element(By.CSS_SELECTOR, ".ask-form button[type=submit]").is_enabled())
        page.find("#question").send_keys(f"하나 더 {uuid.uuid4().hex[:8]}")
        page.click(page.find(".ask-form button[type=submit]"))
        refusal = page.find(".ask-problem .notice.error[data-code=quota_exceeded]")
        self.assertRegex(refusal.text, r"\d{2}:\d{2}", "the refusal says when the quota comes back")
        reset_line = page.find(".quota .meta").text
        self.assertRegex(reset_line, r"00:00", "the reset is at midnight in the quota's zone")
        self.assertIn(f"{quota['limit']}개 중 0개", page.find(".quota .quota-line").text)
        self.screen(page, "ask-quota")

        # An admin bans the other person, whose next page load signs them out with the ban message.
        admin_address = new_email()
        create_admin(admin_address, "admin password")
        admin = self.browser(viewport)
        self.log_in(admin, admin_address, "admin password")
        admin.get("/admin?q=" + urllib.parse.quote(other_address))
        admin.click(admin.xpath(f"//ul[contains(@class,'user-list')]//button[contains(., '{other_address}')]"))
        ban = admin.find("main .card .post-actions button.danger")
        self.screen(admin, "admin")
        admin.click(ban)
        reason = admin.find("dialog #dialog-input")
        reason.send_keys("브라우저 시험: 이용 정지")
        admin.click(admin.find("dialog button[type=submit]"))
        admin.find("main .card .badge.bad")
        # Their next request is refused (401), the refresh that follows says the account is banned
        # (403): signed out, with the ban said at the top of the page.
        other_page.expect_failed_load("/api/", 401)
        other_page.expect_failed_load("/api/auth/refresh", 403)
        other_page.click(other_page.find(".account-link"))
        other_page.xpath(f"//*[@id='banner']//*[contains(., '{BANNED}')]")
        other_page.signed_out()
        other_page.driver.refresh()
        other_page.signed_out()

        # Signed out, the password forgotten: the reset page from the mail, and the new password.
        page.get("/account")
        page.click(page.find("button[data-action=logout]"))
        page.signed_out()
        page.get("/forgot-password")
        page.find("input[name=email]").send_keys(address)
        page.click(page.find("form button[type=submit]"))
        page.find("main .notice.success")
        reset = link_in(wait_for_mail(address, "Reset your password"))
        new_password = "새로운 비밀번호입니다"
        page.get(reset)
        page.find("input[name=newPassword]").send_keys(new_password)
        page.click(page.find("form button[type=submit]"))
        page.find("main .notice.success")
        page.signed_out()
        self.log_in(page, address, new_password, nickname)

        self.assertEqual(self.findings, [], "axe found serious or critical issues:\n" + "\n".join(self.findings))


if __name__ == "__main__":
    unittest.main(verbosity=2)
