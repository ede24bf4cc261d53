"""Exercise feedback: each verdict, with its control."""

from __future__ import annotations

from pkiviz import running_example
from pkiviz.book.exercise import check_answer


def test_feedback_verdicts() -> None:
    assert check_answer(None, 3, hint="h").status == "unanswered"
    assert check_answer(3, 3, hint="h").status == "correct"
    wrong = check_answer(4, 3, hint="count again")
    assert wrong.status == "wrong" and "count again" in wrong.text()
    assert check_answer(" AB:CD ", "ab:cd", hint="h").status == "correct"
    assert wrong.text().startswith("✗")


def test_running_example_summary_is_deterministic() -> None:
    table = running_example().summary()
    assert table.column("subject CN")[2] == "login.example.com"
    assert table.column("issuer CN")[2] == "Example Trust TLS CA 2026"
    assert table.column("key") == ("ec-p384", "ec-p256", "ec-p256", "ec-p384", "ec-p256")
    assert table.text() == running_example().summary().text()
