"""What the browser tests share: a headless Chromium (Debian's chromium and chromium-driver, PyPI's
selenium) at a desktop or a phone viewport, each with a profile of its own; axe-core (from the
selenium_axe_python package) run on a screen; the browser console checked for errors; screenshots
when E2E_SCREENSHOTS names a folder; the security headers nginx sends.

The browser tests are required: where selenium, Chromium or chromedriver is missing,
`require_browser()` fails the test with a message saying what to install.
"""
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request

from auth_flows import URL

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # reported by require_browser()
    webdriver = Options = Service = By = EC = WebDriverWait = None
    StaleElementReferenceException = TimeoutException = Exception

CHROMIUM = os.environ.get("E2E_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = os.environ.get("E2E_CHROMEDRIVER") or shutil.which("chromedriver")
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900, "mobile": False},
    "phone": {"width": 390, "height": 844, "mobile": True},
}

# Findings of these impacts fail a screen.
AXE_BLOCKING = {"serious", "critical"}


def require_browser():
    """Raises AssertionError naming what is missing for the browser tests."""
    missing = []
    if webdriver is None:
        missing.append("the selenium package (pip install selenium in the project's venv)")
    if not CHROMIUM:
        missing.append("Chromium (apt-get install chromium)")
    if not DRIVER:
        missing.append("chromedriver (apt-get install chromium-driver)")
    if axe_source() is None:
        missing.append("axe-core's axe.min.js (pip install selenium-axe-python)")
    if missing:
        raise AssertionError("the browser tests need " + ", ".join(missing))


_AXE = []


def axe_source():
    """axe.min.js from the selenium_axe_python package (axe-core 4.9), or None."""
    if not _AXE:
        path = None
        try:
            import selenium_axe_python
            candidate = os.path.join(os.path.dirname(selenium_axe_python.__file__), "axe-core", "axe.min.js")
            path = candidate if os.path.isfile(candidate) else None
        except ImportError:
            pass
        if path is None:
            _AXE.append(None)
        else:
            with open(path, encoding="utf-8") as f:
                _AXE.append(f.read())
    return _AXE[0]


class Browser:
    """One Chromium with a profile of its own (cookies, storage) at a viewport.

    Console errors are collected as the test goes; `expect_failed_load(url_part, status)` allows
    Chrome's "Failed to load resource" line for a request the test makes fail on purpose.
    """

    def __init__(self, viewport="desktop", language="ko"):
        require_browser()
        self.viewport = viewport
        size = VIEWPORTS[viewport]
        self.profile = tempfile.mkdtemp(prefix="e2e-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--autoplay-policy=no-user-gesture-required", f"--lang={language}",
                         f"--user-data-dir={self.profile}", f"--window-size={size['width']},{size['height']}"]:
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
        if size["mobile"]:
            options.add_experimental_option("mobileEmulation", {
                "deviceMetrics": {"width": size["width"], "height": size["height"], "pixelRatio": 2, "touch": True},
                "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "Chrome/126.0 Mobile Safari/537.36",
            })
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        self.driver.set_script_timeout(30)
        if not size["mobile"]:
            # The window's own bars would take part of --window-size: the page gets all of it.
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": size["width"], "height": size["height"], "deviceScaleFactor": 1, "mobile": False})
        self.wait = WebDriverWait(self.driver, 20, poll_frequency=0.1,
                                  ignored_exceptions=(StaleElementReferenceException,))
        self.console = []
        self.allowed = []

    # --- the page ---------------------------------------------------------------------------

    def get(self, path):
        self.driver.get(path if path.startswith("http") else URL + path)

    def find(self, css, timeout=20):
        """The first element matching `css`, waited for."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, css)), f"no {css} on {self.driver.current_url}")

    def visible(self, css, timeout=20):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"no visible {css} on {self.driver.current_url}")

    def xpath(self, expression, timeout=20):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            EC.presence_of_element_located((By.XPATH, expression)), f"no {expression} on {self.driver.current_url}")

    def until(self, condition, message="", timeout=20):
        """Polls `condition(driver)` until it is truthy; its value."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def click(self, element):
        """Scrolls the element into the middle of the viewport first (a sticky header may cover it)."""
        self.js("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def type_into(self, element, text):
        element.clear()
        element.send_keys(text)

    def main_heading(self):
        return self.find("main h1").text

    def signed_in_as(self, nickname, timeout=20):
        self.until(lambda d: any(nickname in e.text for e in d.find_elements(By.CSS_SELECTOR, ".account-link")),
                   f"not signed in as {nickname}", timeout)

    def signed_out(self, timeout=20):
        self.find(".tools a[href='/login']", timeout)

    # --- network ----------------------------------------------------------------------------

    def network(self, offline=False, upload_bytes_per_second=-1, latency_ms=0):
        """Chromium's network emulation: offline, or a slower upload (-1: unthrottled)."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": offline, "latency": latency_ms,
            "downloadThroughput": -1, "uploadThroughput": upload_bytes_per_second,
        })

    # --- console ----------------------------------------------------------------------------

    def expect_failed_load(self, url_part, status):
        """A request to a URL containing `url_part` is expected to fail: `status` is the HTTP
        status it answers (a 4xx), or Chromium's network error ("net::ERR_INTERNET_DISCONNECTED")
        while the test holds the network down."""
        self.allowed.append((url_part, str(status)))

    def collect_console(self):
        try:
            self.console.extend(self.driver.get_log("browser"))
        except Exception:  # the browser is gone
            pass

    def console_errors(self):
        """The SEVERE console lines that are not an expected failed load."""
        self.collect_console()
        errors = []
        for entry in self.console:
            if entry["level"] != "SEVERE":
                continue
            message = entry["message"]
            match = re.search(r"^(\S+) - Failed to load resource: (?:the server responded with a status of (\d+)|(net::\S+))", message)
            if match and any(part in match.group(1) and status == (match.group(2) or match.group(3))
                             for part, status in self.allowed):
                continue
            errors.append(message)
        return errors

    # --- axe ---------------------------------------------------------------------------------

    def axe(self, screen):
        """axe-core on the page as it is now: the serious and critical findings, as text lines."""
        self.collect_console()
        if not self.js("return typeof window.axe === 'object'"):
            self.js(axe_source())
        result = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ["violations"]})
              .then((r) => done(JSON.stringify(r.violations.map((v) => ({
                 id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map((n) => ({impact: n.impact, target: n.target.join(" "), summary: n.failureSummary}))})))))
              .catch((e) => done(JSON.stringify({error: String(e)})));
        """)
        parsed = json.loads(result)
        if isinstance(parsed, dict):
            raise AssertionError(f"axe could not run on {screen}: {parsed['error']}")
        found = []
        for violation in parsed:
            for node in violation["nodes"]:
                impact = node["impact"] or violation["impact"]
                if impact in AXE_BLOCKING:
                    found.append(f"{screen} ({self.viewport}): {violation['id']} [{impact}] {violation['help']} at {node['target']}: "
                                 f"{(node['summary'] or '').splitlines()[-1:]}")
        return found

    # --- screenshots --------------------------------------------------------------------------

    def shot(self, name):
        """`<viewport>-<name>.png` in E2E_SCREENSHOTS, when set (no focus ring left on the page)."""
        if not SCREENSHOTS:
            return
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.js("document.activeElement?.blur?.()")
        self.driver.save_screenshot(os.path.join(SCREENSHOTS, f"{self.viewport}-{name}.png"))

    def quit(self):
        self.collect_console()
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def headers_of(path):
    """(status, headers) of a GET through nginx, without a browser."""
    try:
        with urllib.request.urlopen(URL + path, timeout=15) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


def csp_directives(policy):
    """{name: [values]} of a Content-Security-Policy header."""
    directives = {}
    for part in (policy or "").split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def security_header_problems(path, headers):
    """What is missing from a response's security headers, as sentences (empty when all is there).

    Scripts may come from the site only (script-src, or default-src without it, is 'self'), under
    Trusted Types wherever scripts may run at all; an error body that allows no script
    (default-src 'none') needs no Trusted Types."""
    problems = []
    policy = headers.get("Content-Security-Policy") or ""
    directives = csp_directives(policy)
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts not in (["'self'"], ["'none'"]):
        problems.append(f"{path}: scripts are not limited to 'self' ({policy!r})")
    if scripts != ["'none'"] and directives.get("require-trusted-types-for") != ["'script'"]:
        problems.append(f"{path}: no require-trusted-types-for 'script' ({policy!r})")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{path}: no frame-ancestors 'none' ({policy!r})")
    if "default-src" not in directives:
        problems.append(f"{path}: no default-src ({policy!r})")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{path}: X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if not headers.get("Referrer-Policy"):
        problems.append(f"{path}: no Referrer-Policy")
    if "camera=()" not in (headers.get("Permissions-Policy") or ""):
        problems.append(f"{path}: Permissions-Policy is {headers.get('Permissions-Policy')!r}")
    return problems


def wait_until(condition, timeout=20, interval=0.1, message="condition"):
    """Polls a plain function (no browser) until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(interval)


__all__ = ["Browser", "By", "EC", "TimeoutException", "URL", "VIEWPORTS", "headers_of", "require_browser",
           "security_header_problems", "wait_until", "SCREENSHOTS"]
