"""The Snakemake report of a small run, opened in headless Chromium: what a reader sees.

The report lands on the results page (results/summary.html, shown in the content iframe); its
metrics equal metrics.csv and its pictures load at their sizes.

Chromium and chromedriver are the Debian packages ``chromium`` and ``chromium-driver``; the
fixture installs them when missing and the test runs as root (as in CI). Snakemake's report is a
React app: results are reached through the menu (category, then the row's view button); images
show in the page, HTML items in an iframe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pandas as pd
import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]
README_SCREENSHOT = REPO / "docs" / "report_roc.png"
LANDING_SCREENSHOT = REPO / "docs" / "report_landing.png"


def ensure_chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver, installing the Debian packages when missing."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("chromium/chromedriver missing and cannot apt-get install them (not root)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run("apt-get update -qq && apt-get install -y -qq chromium chromium-driver",
                       shell=True, check=True, env=env, capture_output=True)
    return shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(small_study_report):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    # an explicit chromedriver: selenium never tries to download one
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(30)  # generous: CI machines can be loaded
    driver.get(small_study_report.as_uri())
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def show_result(driver, category: str, file_name: str) -> None:
    """Open a results category in the menu, then press the view button of the row naming file_name."""
    from selenium.webdriver.common.by import By

    driver.switch_to.default_content()
    home = driver.find_element(By.XPATH, "//nav//ol/li[1]/a")  # breadcrumb home: back to the menu
    home.click()
    driver.find_element(By.XPATH, f"//nav//a[span[normalize-space()='{category}']]").click()
    row = driver.find_element(By.XPATH, f"//nav//tr[td[substring(normalize-space(), string-length(normalize-space()) - {len(file_name) - 1}) = '{file_name}']]")
    row.find_elements(By.TAG_NAME, "a")[0].click()


def wait_loaded(browser, img, timeout: float = 10.0) -> tuple[int, int]:
    """Natural size of an image once decoded (data URIs decode asynchronously)."""
    deadline = time.monotonic() + timeout
    while not browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img):
        if time.monotonic() > deadline:
            raise AssertionError(f"image {img.get_attribute('id')} did not load within {timeout} s")
        time.sleep(0.1)
    return tuple(browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img))


def results_frame(browser, timeout: float = 60.0):
    """Switch into the content iframe once it shows the results page (its h1)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while True:
        browser.switch_to.default_content()
        try:
            browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
            if browser.find_element(By.TAG_NAME, "h1").text == "radiodeep results":
                return
        except (NoSuchElementException, StaleElementReferenceException):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the results page did not open within {timeout} s")
        time.sleep(0.5)


def test_report_lands_on_the_results_page(browser, small_study_report, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    results_frame(browser)  # the first thing the freshly loaded report shows (this test runs first)
    try:
        metrics = pd.read_csv(small_study_report.parent / "evaluation" / "metrics.csv")
        for _, m in metrics.iterrows():
            row = browser.find_element(By.CSS_SELECTOR, f"#metrics-table tr[data-model='{m['feature_set']}/{m['classifier']}']")
            cell = {td.get_attribute("class"): td.text for td in row.find_elements(By.TAG_NAME, "td")}
            assert cell["auc"] == f"{m['auc']:.3f} [{m['auc_ci_low']:.3f}, {m['auc_ci_high']:.3f}]"
            assert (int(cell["n"]), int(cell["n_pos"])) == (m["n"], m["n_pos"]) == (12, 4)
            for column in ("sensitivity", "specificity", "brier", "calibration_slope", "perm_p"):
                assert cell[column] == f"{m[column]:.3f}", column
        prov = pd.read_json(small_study_report.parent / "provenance.json", typ="series")
        assert browser.find_element(By.ID, "provenance-hash").text == prov["provenance_sha256"]
        for name, png in (("roc", "evaluation/roc.png"), ("calibration", "evaluation/calibration.png"),
                          ("decision_curve", "evaluation/decision_curve.png"),
                          ("permutation_null", "report/permutation_null.png")):
            img = browser.find_element(By.ID, f"fig-{name}")
            assert wait_loaded(browser, img) == Image.open(small_study_report.parent / png).size, name
    finally:
        browser.switch_to.default_content()
    shot = tmp_path / "landing.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if not LANDING_SCREENSHOT.exists():
        shutil.copy(shot, LANDING_SCREENSHOT)


def test_results_link_on_the_landing_text(browser):
    from selenium.webdriver.common.by import By

    browser.switch_to.default_content()
    browser.find_element(By.XPATH, "//nav//a[span[normalize-space()='Workflow']]").click()
    browser.find_element(By.ID, "radiodeep-results-link").click()
    results_frame(browser)
    browser.switch_to.default_content()


def test_menu_lists_every_category(browser):
    from selenium.webdriver.common.by import By

    labels = {e.text for e in browser.find_elements(By.XPATH, "//nav//a[span]")}
    assert {"Results", "Evaluation", "Features", "QC", "Provenance"} <= labels


def test_roc_image_loads(browser, small_study_report, tmp_path):
    from selenium.webdriver.common.by import By

    show_result(browser, "Evaluation", "roc.png")
    img = browser.find_element(By.XPATH, "//div[contains(@class,'p-3')]/img[starts-with(@src,'data:image/png')]")
    for _ in range(50):  # the data URI decodes asynchronously
        if browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img):
            break
        time.sleep(0.1)
    width, height = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", img)
    png = small_study_report.parent / "evaluation" / "roc.png"
    from PIL import Image

    assert (width, height) == Image.open(png).size and width > 0
    shot = tmp_path / "report_roc.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if not README_SCREENSHOT.exists():  # the README's picture, made once
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copy(shot, README_SCREENSHOT)


def iframe_table(browser, first_column: str, timeout: float = 60.0) -> pd.DataFrame:
    """The table (id radiodeep-table) of the HTML item shown in the content iframe.

    Waits until the iframe shows a table whose first header is ``first_column``: the report
    swaps iframes asynchronously, and a loaded machine can take seconds to render one.
    """
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    while True:
        browser.switch_to.default_content()
        try:
            browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
            head = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#radiodeep-table thead th")]
            rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                    for tr in browser.find_elements(By.CSS_SELECTOR, "#radiodeep-table tbody tr")]
            if head and head[0] == first_column and rows:
                return pd.DataFrame(rows, columns=head)
        except (NoSuchElementException, StaleElementReferenceException):
            pass
        finally:
            browser.switch_to.default_content()
        if time.monotonic() > deadline:
            raise AssertionError(f"no table starting with column {first_column!r} rendered within {timeout} s")
        time.sleep(0.5)


def test_metrics_table_rendered(browser, small_study_report):
    show_result(browser, "Evaluation", "metrics.html")
    shown = iframe_table(browser, "feature_set")
    metrics = pd.read_csv(small_study_report.parent / "evaluation" / "metrics.csv")
    assert list(shown.columns) == list(metrics.columns)
    assert shown[["feature_set", "classifier"]].values.tolist() == [["handcrafted", "elasticnet"]]
    assert shown[["n", "n_pos"]].astype(int).values.tolist() == [[12, 4]]
    assert float(shown.loc[0, "auc"]) == pytest.approx(metrics.loc[0, "auc"], abs=1e-4)
    low, auc, high = (float(shown.loc[0, c]) for c in ("auc_ci_low", "auc", "auc_ci_high"))
    assert 0 <= low <= auc <= high <= 1


def test_provenance_rendered(browser, small_study_report):
    show_result(browser, "Provenance", "provenance.html")
    shown = iframe_table(browser, "field").set_index("field")["value"]
    prov = pd.read_json(small_study_report.parent / "provenance.json", typ="series")
    assert shown["provenance_sha256"] == prov["provenance_sha256"]
    assert shown["config.seed"] == "42" and shown["config.model.folds"] == "3"
    assert sum(k.startswith("inputs.") and k.endswith(".image_sha256") for k in shown.index) == 12


def test_excluded_cases_rendered(browser):
    from selenium.webdriver.common.by import By

    show_result(browser, "QC", "excluded_cases.html")
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        assert "every case passed" in browser.find_element(By.ID, "radiodeep-empty").text
    finally:
        browser.switch_to.default_content()


def test_captions_shown(browser):
    from selenium.webdriver.common.by import By

    show_result(browser, "Evaluation", "roc.png")
    # the info button of the row opens the result's caption
    row = browser.find_element(By.XPATH, "//nav//tr[td[contains(normalize-space(), 'roc.png')]]")
    row.find_elements(By.TAG_NAME, "a")[1].click()
    assert "95% bands from bootstrapping patients" in browser.find_element(By.TAG_NAME, "nav").text


def test_segmentation_and_importance_pictures_load(browser, full_page_inputs, tmp_path):
    """The page's optional sections (U-Net pictures, importance, stability, plan) in Chromium."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    from radiodeep.report.summary import render_summary, summary_context

    page = tmp_path / "summary.html"
    page.write_text(render_summary(summary_context(full_page_inputs, min_dice=0.7)))
    browser.get(page.as_uri())
    for name, key in (("contact_sheet", "contact_sheet"), ("importance", "importance_figure"),
                      ("segmentation_distributions", "segmentation_distributions")):
        img = browser.find_element(By.ID, f"fig-{name}")
        assert wait_loaded(browser, img) == Image.open(full_page_inputs[key]).size, name
    assert "below min_dice" in browser.find_element(By.ID, "low-dice-note").text
    first = browser.find_element(By.CSS_SELECTOR, "#low-dice tbody tr td").text
    assert first == "STS_003"  # the worst case heads the list
