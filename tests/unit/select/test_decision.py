"""The registration plan: which events register, and what the user is told either way."""

from mlflow_ci.github.context import Context
from mlflow_ci.inputs import COMMANDS_BY_NAME
from mlflow_ci.select.decision import RegistrationPlan, plan_registration

CI, REPORT, GATE = COMMANDS_BY_NAME["ci"], COMMANDS_BY_NAME["report"], COMMANDS_BY_NAME["gate"]


def registration_decision(mode: str, ctx: Context) -> tuple[bool, str]:
    plan = plan_registration(CI, mode, ctx, model_name="m")
    return plan.wanted, plan.reason


def test_registration_only_on_a_push_to_the_default_branch():
    main_push = Context(event_name="push", ref="refs/heads/main")
    assert registration_decision("auto", main_push) == (True, "push to the default branch main")
    feature = Context(event_name="push", ref="refs/heads/feature/x")
    assert registration_decision("auto", feature) == (
        False,
        "push to refs/heads/feature/x: registration runs only on pushes to main",
    )
    pull = Context(event_name="pull_request", ref="refs/pull/3/merge")
    assert registration_decision("auto", pull) == (False, "pull_request: registration runs only on pushes to main")
    assert registration_decision("always", pull)[0]
    assert not registration_decision("never", main_push)[0]


def test_registration_follows_a_non_main_default_branch():
    ctx = Context(event_name="push", ref="refs/heads/trunk", default_branch="trunk")
    assert registration_decision("auto", ctx)[0]


def test_report_never_registers_but_says_what_a_push_would_do():
    main_push = Context(event_name="push", ref="refs/heads/main")
    assert plan_registration(REPORT, "auto", main_push, model_name="m") == RegistrationPlan(
        False, "the report command never registers", True
    )
    assert plan_registration(REPORT, "never", main_push, model_name="m") == RegistrationPlan(
        False, "register: never", False
    )
    assert plan_registration(REPORT, "auto", main_push, model_name="") == RegistrationPlan(False, "", False)


def test_commands_that_never_register_have_no_plan():
    main_push = Context(event_name="push", ref="refs/heads/main")
    assert plan_registration(GATE, "always", main_push, model_name="m") == RegistrationPlan(False, "", False)
