"""A smoke test of the web client's account and posts screens in a real headless Chromium
(Debian's chromium and chromium-driver, PyPI's selenium), through nginx, as
`deploy/dev e2e browser_account` runs it. Skipped where selenium or Chromium is missing.

It signs up on the page with inline validation, opens the verification page from the mail and
presses its button, sees the session survive a reload, writes a post with markup in it (which
must stay text), finds it by a Korean word inside a longer word (the match marked), likes it,
logs out in one tab and sees the other tab signed out, and checks the security headers on the
page, a deep link, an asset and a 404. Screenshots go to E2E_SCREENSHOTS when set.
"""
import os
import shutil
import time
import unittest
import urllib.error
import urllib.request

from auth_flows import URL, link_in, new_email, wait_for_mail

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - the environment decides
    webdriver = None

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def browser(width=1280, height=900):
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def headers_of(path):
    try:
        with urllib.request.urlopen(URL + path, timeout=15) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@unittest.skipIf(webdriver is None or not CHROMIUM or not DRIVER, "selenium, chromium or chromedriver missing")
class BrowserAccount(unittest.TestCase):
    def setUp(self):
        self.driver = browser()
        self.wait = WebDriverWait(self.driver, 15)

    def tearDown(self):
        errors = [entry for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"
                  and "Failed to load resource" not in entry["message"]]
        self.driver.quit()
        self.assertEqual(errors, [], "script errors in the browser console")

    def shot(self, name):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            self.driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))

    def find(self, css):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def test_security_headers_on_the_page_a_deep_link_an_asset_and_a_404(self):
        for path in ["/", "/posts/1", "/js/main.js", "/js/missing.js"]:
            status, headers = headers_of(path)
            self.assertEqual(status, 404 if "missing" in path else 200, path)
            policy = headers["Content-Security-Policy"]
            self.assertIn("frame-ancestors 'none'", policy, path)
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff", path)
            self.assertIn("camera=()", headers["Permissions-Policy"], path)
            self.assertIsNotNone(headers["Referrer-Policy"], path)
            if "missing" not in path:
                for directive in ["script-src 'self'", "require-trusted-types-for 'script'", "default-src 'self'"]:
                    self.assertIn(directive, policy, path)
        self.assertEqual(headers_of("/posts/1")[1]["Cache-Control"], "no-cache")
        self.assertIn("max-age", headers_of("/js/main.js")[1]["Cache-Control"])

    def test_sign_up_verify_post_search_like_and_log_out_everywhere(self):
        driver = self.driver
        address = new_email()
        driver.get(URL + "/signup")
        self.find("input[name=email]").send_keys(address)
        driver.find_element(By.NAME, "nickname").send_keys("브라우저")
        password = driver.find_element(By.NAME, "password")
        # Two Hangul syllables are six bytes: too short, said when the field is left.
        password.send_keys("비밀")
        driver.find_element(By.NAME, "nickname").click()
        self.assertEqual(password.get_attribute("aria-invalid"), "true")
        password.send_keys("번호입니다")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        self.wait.until(EC.url_contains("/account"))
        self.assertEqual(driver.execute_script("return document.documentElement.lang"), "ko")
        self.shot("account")

        link = link_in(wait_for_mail(address, "Confirm your email address"))
        driver.get(link)
        button = self.find("main button")
        # The token left the address bar before anything was sent.
        self.assertTrue(driver.current_url.endswith("/verify-email"), driver.current_url)
        button.click()
        self.find("main .notice.success")

        driver.refresh()
        self.assertIn("브라우저", self.find(".account-link").text, "the session survives a reload")

        driver.get(URL + "/posts/new")
        self.find("input[name=title]").send_keys("검색엔진을 만들며 <img src=x onerror=alert(1)>")
        driver.find_element(By.NAME, "body").send_keys("데이터베이스 이야기 <script>alert(2)</script>")
        driver.find_element(By.NAME, "tags").send_keys("browser, 한국어")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        self.wait.until(EC.url_matches(r"/posts/\d+$"))
        heading = self.find("main h1")
        self.assertIn("<img src=x", heading.text, "markup in a title stays text")
        self.assertEqual(driver.find_elements(By.CSS_SELECTOR, "main img, main script"), [])

        driver.get(URL + "/search?q=" + urllib.request.quote("엔진"))
        card = self.find(".post-card")
        self.assertIn("엔진", [mark.text for mark in card.find_elements(By.TAG_NAME, "mark")])
        like = card.find_element(By.CSS_SELECTOR, "button.like")
        like.click()
        self.wait.until(lambda _: like.get_attribute("aria-pressed") == "true")
        self.shot("search")

        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(URL + "/account")
        self.find(".account-link")
        second = driver.current_window_handle
        driver.switch_to.window(first)
        driver.get(URL + "/account")
        logout = self.find("button[data-action=logout]")
        driver.execute_script("arguments[0].scrollIntoView()", logout)
        logout.click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".tools a[href='/login']")))
        driver.switch_to.window(second)
        deadline = time.monotonic() + 5
        while not driver.find_elements(By.CSS_SELECTOR, ".tools a[href='/login']") and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, ".tools a[href='/login']"), "the other tab signed out too")


if __name__ == "__main__":
    unittest.main(verbosity=2)
