"""A wrong signature password is written to the audit trail although the step's transaction rolls
back, with real transactions (no test transaction around the request).

Apart from test_signature_guessing.py, whose trials are built once inside the module's transaction
(tests/module_data.py): this test commits, and needs people and a trial of its own."""

from tests.security.test_signature_guessing import refusals, sign


def test_the_refusal_row_stays_although_the_step_rolls_back(
    real_transactions, trial_in, team, client_for
):
    # Real transactions (no test transaction around the request): the decision's service is
    # atomic and rolls back on the wrong password; its refusal is written after.
    trial = trial_in("follow_up")

    response = sign(client_for(team.neurologist), "decision", trial, team, "not-my-password")

    assert response.status_code == 400
    assert len(refusals(team.neurologist)) == 1
    trial.refresh_from_db()
    assert trial.attempts.get().responder is None
