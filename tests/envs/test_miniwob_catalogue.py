"""The MiniWoB++ catalogue (envs/browser/miniwob.py) without a browser: every task of the installed
package, close names for unknown ones, the success rule, the plans' task names, the docs table."""
import re
from pathlib import Path

import pytest

pytest.importorskip("miniwob")

from rewardgym.envs.browser import miniwob  # noqa: E402
from rewardgym.envs.browser.tasks import MINIWOB_TASKS, miniwob_task  # noqa: E402

DOCS = Path(__file__).parents[2] / "docs" / "miniwob.md"


def test_the_catalogue_is_every_page_of_the_installed_package():
    names = miniwob.task_names()
    pages = sorted(p.stem for p in miniwob.html_dir().glob("*.html"))
    assert list(names) == pages and len(names) >= 100
    assert set(MINIWOB_TASKS) <= set(names)
    task = miniwob_task("book-flight")
    assert task.name == "miniwob/book-flight" and task.path == "/miniwob/miniwob/book-flight.html"
    assert "WOB_RAW_REWARD_GLOBAL" in task.state and "WOB_DONE_GLOBAL" in task.state


@pytest.mark.parametrize("bad, close", [("click-buton", "click-button"), ("enter_text", "enter-text"),
                                        ("email-inbox-forward-nl-trk", "email-inbox-forward-nl-turk")])
def test_an_unknown_task_names_itself_and_the_close_names(bad, close):
    with pytest.raises(ValueError, match=re.escape(repr(bad))) as err:
        miniwob_task(bad)
    assert "close names" in str(err.value) and repr(close) in str(err.value)


def test_a_name_with_nothing_close_still_gets_one_clear_error():
    with pytest.raises(ValueError, match=r"unknown MiniWoB\+\+ task 'zzzz'; \d+ tasks, e\.g\."):
        miniwob.check_name("zzzz")


def test_success_needs_full_credit_where_the_raw_reward_is_partial():
    for name, (threshold, why) in miniwob.SUCCESS_THRESHOLDS.items():
        assert name in miniwob.task_names() and 0 < threshold <= 1 and why
        assert f"WOB_RAW_REWARD_GLOBAL >= {threshold!r}" in miniwob_task(name).state
    assert miniwob.success_threshold("find-greatest") == 1.0  # its wrong card pays +0.1
    assert miniwob.success_threshold("click-test") is None
    assert "WOB_RAW_REWARD_GLOBAL > 0" in miniwob_task("click-test").state


def test_plans_are_for_known_tasks_and_cover_at_least_fifty():
    written = set(re.findall(r"P\['([\w-]+)'\]\s*=", miniwob._plans_js()))
    assert written == set(miniwob.planned_tasks())  # no plan under a misspelt name
    assert len(written) >= 50 and set(MINIWOB_TASKS) <= written


def test_the_docs_table_lists_every_task_once():
    rows = re.findall(r"^\| ([a-z0-9-]+) \| (yes|no) \| (yes|no) \| ([0-9]+%|-) \|", DOCS.read_text(), re.M)
    assert sorted(r[0] for r in rows) == list(miniwob.task_names())
    for name, playable, boxes, oracle in rows:
        assert playable == "yes", name  # every task of the package plays
        if boxes == "yes":  # target boxes come only from a plan, and its oracle was measured
            assert name in miniwob.planned_tasks() and oracle != "-", name
