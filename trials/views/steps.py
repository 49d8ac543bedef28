"""The signed steps and decisions that move a trial through its phases."""

from accounts.roles import roles_required
from trials import forms, procedure
from trials.services import workflow
from trials.services.phase import discharge_criteria
from trials.services.snapshot import TrialSnapshot

from .access import get_trial, move_roles
from .helpers import action_page, next_step_url, submit


@roles_required(*move_roles("sign_preparation"))
def sign_preparation(request, pk: int):
    trial = get_trial(pk)
    form = forms.SignPreparationForm(request.POST or None)

    def call(data):
        workflow.preparation_sign(
            trial_id=trial.pk,
            actor=request.user,
            password=data["password"],
            first_dose_mcg=data["first_dose_mcg"],
            reason=data["reason"],
        )

    return submit(
        request, form, call, trial.get_absolute_url(), done="Preparation signed complete."
    ) or action_page(
        request,
        trial,
        form,
        title="Sign preparation complete",
        action="sign_preparation",
        extra={"submit_label": "Sign preparation complete"},
    )


@roles_required(*move_roles("sign_injection"))
def injection(request, pk: int):
    trial = get_trial(pk)
    attempt = trial.attempts.order_by("-number").first()
    form = forms.InjectionForm(request.POST or None, instance=attempt)

    def call(data):
        data = dict(data)
        workflow.injection_sign(
            trial_id=trial.pk,
            actor=request.user,
            password=data.pop("password"),
            dose_mcg=data.pop("dose_mcg"),
            late=data.pop("late_reason"),
            data=data,
        )

    title = (
        f"Injection record – attempt {attempt.number}, {attempt.dose_mcg} mcg"
        if attempt
        else "Injection record"
    )
    return submit(
        request, form, call, trial.get_absolute_url(), done="Injection signed."
    ) or action_page(
        request,
        trial,
        form,
        title=title,
        action="sign_injection",
        template="trials/injection_form.html",
        extra={"attempt": attempt},
    )


@roles_required(*move_roles("discharge"))
def discharge(request, pk: int):
    trial = get_trial(pk)
    form = forms.DischargeForm(request.POST or None)

    def call(data):
        workflow.attempt_discharge(
            trial_id=trial.pk,
            actor=request.user,
            password=data["password"],
            note=data["note"],
            at=data["at"],
            late=data["late_reason"],
        )

    return submit(
        request, form, call, trial.get_absolute_url(), done="Discharge signed."
    ) or action_page(
        request,
        trial,
        form,
        title="Discharge",
        action="discharge",
        template="trials/discharge_form.html",
        extra={"instructions": procedure.DISCHARGE_INSTRUCTIONS},
    )


@roles_required(*move_roles("discharge_exception"))
def discharge_exception(request, pk: int):
    trial = get_trial(pk)
    form = forms.DischargeExceptionForm(request.POST or None)

    def call(data):
        workflow.attempt_discharge_exception(
            trial_id=trial.pk,
            actor=request.user,
            password=data["password"],
            reason=data["exception"],
            note=data["note"],
            at=data["at"],
            late=data["late_reason"],
        )

    snap = TrialSnapshot.load(trial.pk, site=request.site_settings)
    unmet = discharge_criteria(snap) if snap.attempt and snap.attempt.is_given else []
    return submit(
        request, form, call, trial.get_absolute_url(), done="Discharge signed as an exception."
    ) or action_page(
        request,
        trial,
        form,
        title="Discharge as a signed exception",
        action="discharge_exception",
        extra={
            "note": "Criteria not met: " + " ".join(unmet)
            if unmet
            else "The discharge criteria are met: the nurse can sign the discharge.",
            "submit_label": "Sign the exception and discharge",
        },
    )


@roles_required(*procedure.ACTION_ROLES["record_effect_worn_off"])
def effect_worn_off(request, pk: int):
    trial = get_trial(pk)
    form = forms.EffectWornOffForm(request.POST or None)

    def call(data):
        workflow.attempt_effect_worn_off(
            trial_id=trial.pk, actor=request.user, at=data["at"], late=data["late_reason"]
        )

    return submit(
        request, form, call, trial.get_absolute_url(), done="Effect worn off recorded."
    ) or action_page(
        request,
        trial,
        form,
        title="Effect worn off",
        extra={
            "note": "Later assessments that are not required for discharge are then not owed.",
            "submit_label": "Record",
        },
    )


@roles_required(*procedure.ACTION_ROLES["decide"])
def decide(request, pk: int):
    trial = get_trial(pk)
    snap = TrialSnapshot.load(trial.pk, site=request.site_settings)
    attempt = snap.attempt
    suggestion = snap.suggestion(attempt) if attempt and attempt.is_given else None
    initial = {}
    if suggestion and suggestion.responder is not None:
        initial["responder"] = "true" if suggestion.responder else "false"
    form = forms.DecisionForm(request.POST or None, initial=initial, goals=trial.goal_list)

    def call(data):
        workflow.attempt_decide(
            trial_id=trial.pk,
            actor=request.user,
            password=data["password"],
            responder=data["responder"],
            reason=data["reason"],
            goals=form.goal_outcomes(),
            at=data["at"],
            late=data["late_reason"],
        )

    # Not a responder with a rung left: planning the next attempt is what follows.
    def after() -> str:
        return next_step_url(request, trial, "plan_next_attempt")

    return submit(request, form, call, after, done="Decision signed.") or action_page(
        request,
        trial,
        form,
        title=f"Response to attempt {attempt.number} ({attempt.dose_mcg} mcg)"
        if attempt
        else "Response",
        template="trials/decision_form.html",
        extra={"suggestion": suggestion, "attempt": attempt, "snap": snap},
    )


@roles_required(*move_roles("plan_next_attempt"))
def plan_next(request, pk: int):
    trial = get_trial(pk)
    last = trial.attempts.select_related("decided_by").order_by("-number").first()
    form = forms.NextAttemptForm(request.POST or None, last_dose=last.dose_mcg if last else None)

    def call(data):
        workflow.attempt_plan_next(
            trial_id=trial.pk, actor=request.user, dose_mcg=data["dose_mcg"], reason=data["reason"]
        )

    # The signed decision this plan follows from (the decision's save often leads here).
    decided = ""
    if last and last.is_decided:
        verdict = "Responder" if last.responder else "Not a responder"
        decided = (
            f"Attempt {last.number} ({last.dose_mcg} mcg): {verdict}, decided by "
            f"{last.decided_by.printed_name}. "
        )
    return submit(
        request, form, call, trial.get_absolute_url(), done="Next attempt planned."
    ) or action_page(
        request,
        trial,
        form,
        title="Plan the next attempt",
        action="plan_next_attempt",
        extra={
            "note": decided + "The next dose is given at least 24 hours after the last one.",
            "submit_label": "Plan the attempt",
        },
    )


@roles_required(*move_roles("close"))
def close(request, pk: int):
    trial = get_trial(pk)
    last = trial.attempts.order_by("-number").first()
    initial = {"follow_up_on": trial.follow_up_on}
    if last and last.responder:
        initial["outcome"] = "pump_candidate"
    form = forms.CloseForm(request.POST or None, initial=initial)

    def call(data):
        workflow.trial_close(
            trial_id=trial.pk,
            actor=request.user,
            password=data["password"],
            outcome=data["outcome"],
            follow_up_on=data["follow_up_on"],
            note=data["note"],
        )

    pump = None
    if last and last.responder:
        pump = (
            f"Suggested starting daily pump dose: {last.pump_daily_dose_mcg} mcg/day "
            f"(2 × the effective screening dose of {last.dose_mcg} mcg, over 24 h)."
        )
    return submit(
        request, form, call, trial.get_absolute_url(), done="Trial closed and signed."
    ) or action_page(
        request,
        trial,
        form,
        title="Close the trial",
        action="close",
        extra={"note": pump, "submit_label": "Sign and close the trial"},
    )


@roles_required(*move_roles("cancel"))
def cancel(request, pk: int):
    trial = get_trial(pk)
    form = forms.CancelForm(request.POST or None)

    def call(data):
        workflow.trial_cancel(trial_id=trial.pk, actor=request.user, reason=data["reason"])

    return submit(
        request, form, call, trial.get_absolute_url(), done="Trial cancelled."
    ) or action_page(
        request,
        trial,
        form,
        title="Cancel the trial",
        action="cancel",
        extra={"submit_label": "Cancel the trial"},
    )
