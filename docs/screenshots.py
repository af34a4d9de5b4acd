"""README's report pictures from a finished run, in headless Chromium (Debian chromium + chromium-driver).

    PYTHONPATH=. python docs/screenshots.py results/   # writes docs/report_landing.png, docs/report_contact_sheet.png

The landing picture is report.html as it opens (the results page in its content frame); the
contact sheet is the results page's figure of that name, captured as an element.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parent


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in [*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    return driver


def main() -> None:
    from selenium.webdriver.common.by import By

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path)
    args = ap.parse_args()
    driver = browser(1400, 1000)
    try:
        driver.get((args.results / "report.html").resolve().as_uri())
        for _ in range(120):  # the report is a React app: wait until its frame shows the results page
            driver.switch_to.default_content()
            frames = driver.find_elements(By.TAG_NAME, "iframe")
            if frames:
                driver.switch_to.frame(frames[0])
                if [h.text for h in driver.find_elements(By.TAG_NAME, "h1")] == ["radiodeep results"]:
                    break
            time.sleep(0.5)
        else:
            raise SystemExit("the report did not open on the results page within 60 s")
        time.sleep(2)  # data-URI figures decode asynchronously
        driver.switch_to.default_content()
        driver.save_screenshot(str(DOCS / "report_landing.png"))
        driver.get((args.results / "summary.html").resolve().as_uri())
        figure = driver.find_element(By.ID, "fig-contact_sheet")
        driver.set_window_size(1400, figure.size["height"] + 300)  # the whole sheet, not the viewport's part
        driver.execute_script("arguments[0].scrollIntoView()", figure)
        time.sleep(1)
        figure.screenshot(str(DOCS / "report_contact_sheet.png"))
    finally:
        driver.quit()
    print(f"wrote {DOCS / 'report_landing.png'} and {DOCS / 'report_contact_sheet.png'}")


if __name__ == "__main__":
    main()
