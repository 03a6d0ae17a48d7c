"""What triggers each rule the engine implements, in words (for docs/safety.md).

Interaction and red-flag rules are described from their knowledge-base entries; the rules
below are implemented in code, and a test checks this list matches the knowledge base.
"""

from __future__ import annotations

TRIGGERS: dict[str, str] = {
    "dose.kratom_single_dose": "A single logged dose of kratom leaf (powder or capsules logged by mass) above `above_g` grams.",
    "dose.kratom_daily_total": "Kratom leaf logged by mass on one day adds up to more than `above_g` grams (and not above the escalation level).",
    "dose.kratom_daily_escalate": "Kratom leaf logged by mass on one day adds up to more than `above_g` grams.",
    "dose.concentrate_or_7oh": "Any kratom extract, concentrate or 7-OH product: logged as a dose (form `extract` or `seven_oh`, or a product name the knowledge base recognises), in the plan, or among the person's medications.",
    "dose.above_plan": "The kratom logged on a day is more than the daily amount in the person's approved plan (compared in the plan's own unit: grams with grams, capsules with capsules).",
    "dose.kratom_rising": "The mean daily kratom (grams) over the last `window_days` days is at least `min_rise_percent`% above the mean of the `window_days` days before, with at least `min_days_logged` days logged in each window.",
    "dose.melatonin_nightly_caution": "Melatonin logged on one day adds up to more than `above_mg` mg (and not above the escalation level).",
    "dose.melatonin_nightly_escalate": "Melatonin logged on one day adds up to more than `above_mg` mg.",
    "dose.magnesium_above_ul": "Supplemental magnesium logged on one day adds up to more than `above_mg` mg.",
    "dose.loperamide_above_label": "Loperamide (a logged dose whose product the knowledge base recognises as loperamide, in a mass unit) adds up to more than `above_mg` mg on one day.",
    "trend.sows_rising": "The mean SOWS total over the last `recent_days` days (all reported) is at least `min_rise` points above the mean of the `baseline_days` days before (at least half of them reported).",
    "trend.cows_rising": "The latest visit's COWS total is in a higher published band than the previous visit's (raised with the visit that records it, not with later daily check-ins).",
    "trend.craving_high": "The daily craving rating was `at_least` or more on each of the last `consecutive_days` days.",
    "trend.poor_sleep": "Sleep efficiency under `below_percent`% on `nights` or more of the last `window_nights` nights reported.",
    "trend.missed_checkins": "`missed` or more days without a daily check-in in the last `window_days` days (counting from the first check-in, not counting today).",
    "use.non_prescribed_opioid": "The person says they used an opioid not prescribed to them, or logs or lists an opioid that is not prescribed.",
    "taper.too_fast": "A planned step cuts the daily amount by more than the configured bound over the step's length: `long_term_percent_per_month`% of the current amount per 30 days for use of a year or more; otherwise `short_term_percent_of_original_per_week`% of the starting amount per 7 days until `short_term_until_percent_of_original`% of it remains, then `short_term_then_percent_of_remaining_per_week`% of the remaining amount per 7 days.",
    "taper.abrupt_stop": "A planned step goes from some kratom to none in one step, unless the amount before it is no more than the smallest measurable step (then nothing smaller exists).",
    "notice.kratom_not_approved": "Any kratom in the picture (logged, planned or listed).",
    "notice.naloxone": "Any kratom product or other opioid in the picture, or reported non-prescribed opioid use.",
    "notice.melatonin_children": "Any melatonin in the picture.",
    "notice.unrecognised_medicine": "A medicine name (in the profile, a plan item or a logged dose of another medication or MOUD) that matches no alias in the knowledge base; one finding per name, with up to three suggestions from fuzzy matching (rapidfuzz WRatio of at least 80), offered and never applied.",
}
