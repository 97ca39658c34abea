"""A smoke test of the web client's account and posts screens in a real headless Chromium
(Debian's chromium and chromium-driver, PyPI's selenium), through nginx, as
`deploy/e2e browser_account` runs it (browser_support.py starts the browser; the test fails,
saying what to install, where selenium, Chromium or chromedriver is missing).

It signs up on the page with inline validation, opens the verification page from the mail and
presses its button, sees the session survive a reload, writes a post with markup in it (which
must stay text), finds it by a Korean word inside a longer word (the match marked), likes it,
and logs out in one tab and sees the other tab signed out (browser_journey checks the security
headers). Screenshots (desktop-smoke-account.png, desktop-smoke-search.png) go to
E2E_SCREENSHOTS when set.
"""
import unittest
import urllib.request

from auth_flows import URL, link_in, new_email, wait_for_mail
from browser_support import Browser, By, EC, require_browser


class BrowserAccount(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_browser()

    def setUp(self):
        self.page = Browser("desktop")
        self.driver = self.page.driver
        self.wait = self.page.wait

    def tearDown(self):
        errors = self.page.console_errors()
        self.page.quit()
        self.assertEqual(errors, [], "script errors in the browser console")

    def shot(self, name):
        self.page.shot(name)

    def find(self, css):
        return self.page.find(css)

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
        self.shot("smoke-account")

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
        self.shot("smoke-search")

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
        self.page.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".tools a[href='/login']"), "the other tab is still signed in", timeout=5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
