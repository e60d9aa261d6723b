"""The rating page in a real headless Chromium: a rater answers every item, saves the CSV, and it scores."""

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.data import write_own_format

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
N_ITEMS = 10

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(
        f"headless Chromium not found ({CHROMIUM} and {CHROMEDRIVER}); install Debian's chromium and "
        "chromium-driver packages (.ci/run does) to run the browser test",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium from the system packages; no driver download, no network, downloads into tmp_path."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,900"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()


def wait_for_csv(folder: Path, timeout_s: float = 30.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv") if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV appeared in {folder} within {timeout_s} s")


def test_rater_answers_every_item_saves_and_scores(browser, tmp_path):
    driver, downloads = browser
    rng = np.random.default_rng(3)
    write_own_format(tmp_path / "real.npz", rng.integers(0, 256, (20, 36, 60), dtype=np.uint8), None)
    write_own_format(tmp_path / "synthetic.npz", rng.integers(0, 256, (20, 35, 55), dtype=np.uint8), None)
    made = CliRunner().invoke(cli, [
        "turing", "make", "--real", f"npz:{tmp_path / 'real.npz'}", "--synthetic", f"npz:{tmp_path / 'synthetic.npz'}",
        "--against", "synthetic", "--n", str(N_ITEMS), "--out", str(tmp_path / "sheet"), "--key", str(tmp_path / "KEY.csv"),
    ])
    assert made.exit_code == 0, made.output
    with open(tmp_path / "KEY.csv", newline="") as fh:
        truth_by_number = {int(row["item"]): row["truth"] for row in csv.DictReader(fh)}

    driver.get((tmp_path / "sheet" / "index.html").as_uri())
    message = driver.find_element(By.ID, "message")
    driver.find_element(By.ID, "save").click()
    assert "type your name" in message.text  # no download without a rater name
    driver.find_element(By.ID, "rater").send_keys("Ada, tester")  # a comma must survive the CSV

    body = driver.find_element(By.TAG_NAME, "body")
    for number in range(1, N_ITEMS + 1):
        progress = driver.find_element(By.ID, "progress").text
        assert progress.startswith(f"Image {number} of {N_ITEMS}"), progress
        assert driver.find_element(By.ID, "eye").get_attribute("src").startswith("data:image/png;base64,")
        says_real = truth_by_number[number] == "real"
        if number == 1:
            says_real = not says_real  # one deliberate mistake
        if number % 2:  # odd items by keyboard, even ones by button
            body.send_keys("r" if says_real else "n")
        else:
            driver.find_element(By.ID, "answer-real" if says_real else "answer-not-real").click()
    assert f"answered {N_ITEMS} of {N_ITEMS}" in driver.find_element(By.ID, "progress").text

    driver.find_element(By.ID, "save").click()
    answers = wait_for_csv(downloads)
    scored = CliRunner().invoke(cli, ["turing", "score", str(answers), "--key", str(tmp_path / "KEY.csv"), "--format", "json"])
    assert scored.exit_code == 0, scored.output
    report = json.loads(scored.output)
    assert [r["rater"] for r in report["raters"]] == ["Ada, tester"]
    assert (report["pooled"]["test"]["correct"], report["pooled"]["test"]["total"]) == (N_ITEMS - 1, N_ITEMS)
