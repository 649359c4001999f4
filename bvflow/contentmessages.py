"""Words of the plan content, its checks, the case document and the yearly
report, in nynorsk, bokmål and English. Merged into the catalogue of
:mod:`bvflow.messages` (use :func:`bvflow.messages.text`)."""

from __future__ import annotations

__all__ = ["CONTENT_MESSAGES"]

CONTENT_MESSAGES: dict[str, dict[str, str]] = {
    # where a problem is
    "where.measure_year": {"nn": "Tiltak «{measure}», {year}", "nb": "Tiltak «{measure}», {year}",
                           "en": "Measure '{measure}', {year}"},
    "where.year": {"nn": "Budsjettår {year}", "nb": "Budsjettår {year}", "en": "Budget year {year}"},
    # checks (seed: "Ved kvar årleg oppdatering skal det gjerast greie for …")
    "content.amount_not_whole": {
        "nn": "{where}: beløpet {value!r} er ikkje heile kroner (skriv eit heiltal utan øre).",
        "nb": "{where}: beløpet {value!r} er ikke hele kroner (skriv et heltall uten øre).",
        "en": "{where}: the amount {value!r} is not whole NOK (write a whole number).",
    },
    "content.amount_negative": {
        "nn": "{where}: beløpet {value} er negativt; beløp kan ikkje vere under 0.",
        "nb": "{where}: beløpet {value} er negativt; beløp kan ikke være under 0.",
        "en": "{where}: the amount {value} is negative; amounts cannot be below 0.",
    },
    "content.unknown_sub_goal": {
        "nn": "Tiltak «{measure}» høyrer til delmålet «{sub_goal}», som ikkje finst i planen "
              "(delmål: {known}).",
        "nb": "Tiltak «{measure}» hører til delmålet «{sub_goal}», som ikke finnes i planen "
              "(delmål: {known}).",
        "en": "Measure '{measure}' belongs to sub-goal '{sub_goal}', which the plan does not have "
              "(sub-goals: {known}).",
    },
    "content.year_outside_measure": {
        "nn": "Tiltak «{measure}», {year}: året ligg utanfor tiltaksperioden ({first}–{last}).",
        "nb": "Tiltak «{measure}», {year}: året ligger utenfor tiltaksperioden ({first}–{last}).",
        "en": "Measure '{measure}', {year}: the year lies outside the measure's period ({first}–{last}).",
    },
    "content.year_outside_plan": {
        "nn": "Tiltak «{measure}», {year}: statlege midlar er førte på eit år som ikkje er i "
              "finansieringsplanen ({years}).",
        "nb": "Tiltak «{measure}», {year}: statlige midler er ført på et år som ikke er i "
              "finansieringsplanen ({years}).",
        "en": "Measure '{measure}', {year}: state funds are budgeted in a year that is not in the "
              "financing plan ({years}).",
    },
    "content.over_measure_funds": {
        "nn": "Budsjettår {year}: tiltak med statlege tiltaksmidlar har {allocated}, men berre "
              "{available} er tilgjengeleg ({granted} løyvd i {year} + {carried} overført frå "
              "tidlegare år); {excess} for mykje.",
        "nb": "Budsjettår {year}: tiltak med statlige tiltaksmidler har {allocated}, men bare "
              "{available} er tilgjengelig ({granted} bevilget i {year} + {carried} overført fra "
              "tidligere år); {excess} for mye.",
        "en": "Budget year {year}: measures funded by state measure funds have {allocated}, but only "
              "{available} is available ({granted} granted in {year} + {carried} carried over from "
              "earlier years); {excess} too much.",
    },
    "content.spent_over_available": {
        "nn": "Budsjettår {year}: brukt {spent} av tiltaksmidlane, men berre {available} var "
              "tilgjengeleg.",
        "nb": "Budsjettår {year}: brukt {spent} av tiltaksmidlene, men bare {available} var "
              "tilgjengelig.",
        "en": "Budget year {year}: {spent} of the measure funds spent, but only {available} was "
              "available.",
    },
    "content.over_operating_grant": {
        "nn": "Budsjettår {year}: tiltak med driftstilskot har {allocated}, men driftstilskotet "
              "for {year} er {grant} (driftstilskot kan ikkje overførast).",
        "nb": "Budsjettår {year}: tiltak med driftstilskudd har {allocated}, men driftstilskuddet "
              "for {year} er {grant} (driftstilskudd kan ikke overføres).",
        "en": "Budget year {year}: measures funded by the operating grant have {allocated}, but the "
              "operating grant for {year} is {grant} (it cannot be carried over).",
    },
    "content.weights_sum": {
        "nn": "Vektene til delmåla er til saman {total} %, ikkje 100 %.",
        "nb": "Vektene til delmålene er til sammen {total} %, ikke 100 %.",
        "en": "The sub-goals' weights add up to {total} %, not 100 %.",
    },
    "content.weight_deviation": {
        "nn": "Delmål «{sub_goal}»: {share} % av tiltaksmidlane mot ei vekt på {weight} % "
              "(avvik {deviation} prosentpoeng, toleranse {tolerance}).",
        "nb": "Delmål «{sub_goal}»: {share} % av tiltaksmidlene mot en vekt på {weight} % "
              "(avvik {deviation} prosentpoeng, toleranse {tolerance}).",
        "en": "Sub-goal '{sub_goal}': {share} % of the measure funds against a weight of {weight} % "
              "(deviation {deviation} percentage points, tolerance {tolerance}).",
    },
    "content.missing_reason": {
        "nn": "Tiltak «{measure}» er endra sidan versjon {old} ({fields}), men manglar grunngjeving "
              "for endringa (reason).",
        "nb": "Tiltak «{measure}» er endret siden versjon {old} ({fields}), men mangler begrunnelse "
              "for endringen (reason).",
        "en": "Measure '{measure}' has changed since version {old} ({fields}) but has no reason for "
              "the change (reason).",
    },
    "content.missing_assessment": {
        "nn": "Tiltak «{measure}» er avslutta, men manglar ei kort vurdering av kva tiltaket har "
              "bidrege til (assessment).",
        "nb": "Tiltak «{measure}» er avsluttet, men mangler en kort vurdering av hva tiltaket har "
              "bidratt til (assessment).",
        "en": "Measure '{measure}' has ended but has no short assessment of what it achieved "
              "(assessment).",
    },
    "content.measure_removed": {
        "nn": "Tiltak «{measure}» frå versjon {old} manglar: behald det med status = \"ended\" og "
              "ei vurdering av kva det har bidrege til.",
        "nb": "Tiltak «{measure}» fra versjon {old} mangler: behold det med status = \"ended\" og "
              "en vurdering av hva det har bidratt til.",
        "en": "Measure '{measure}' of version {old} is missing: keep it with status = \"ended\" and "
              "an assessment of what it achieved.",
    },
    "content.refused": {
        "nn": "kan ikkje sendast ut før innhaldet er i orden ({count} feil):",
        "nb": "kan ikke sendes ut før innholdet er i orden ({count} feil):",
        "en": "cannot be submitted until its content is in order ({count} errors):",
    },
    # labels
    "funding.state_measure_funds": {"nn": "statlege tiltaksmidlar", "nb": "statlige tiltaksmidler",
                                    "en": "state measure funds"},
    "funding.operating_grant": {"nn": "driftstilskot", "nb": "driftstilskudd", "en": "operating grant"},
    "funding.own_funds": {"nn": "eigne midlar", "nb": "egne midler", "en": "own funds"},
    "funding.other_grants": {"nn": "andre tilskot", "nb": "andre tilskudd", "en": "other grants"},
    "mstatus.planned": {"nn": "planlagt", "nb": "planlagt", "en": "planned"},
    "mstatus.ongoing": {"nn": "i gang", "nb": "i gang", "en": "ongoing"},
    "mstatus.ended": {"nn": "avslutta", "nb": "avsluttet", "en": "ended"},
    "diff.new": {"nn": "Nye tiltak", "nb": "Nye tiltak", "en": "New measures"},
    "diff.changed": {"nn": "Endra tiltak", "nb": "Endrede tiltak", "en": "Changed measures"},
    "diff.ended": {"nn": "Avslutta tiltak", "nb": "Avsluttede tiltak", "en": "Ended measures"},
    "diff.progress": {"nn": "Framdrift (status, forbruk)", "nb": "Fremdrift (status, forbruk)",
                      "en": "Progress (status, spending)"},
    "diff.budget": {"nn": "Budsjett per delmål og år", "nb": "Budsjett per delmål og år",
                    "en": "Budget per sub-goal and year"},
    "diff.other": {"nn": "Anna", "nb": "Annet", "en": "Other"},
    "diff.none": {"nn": "(ingen)", "nb": "(ingen)", "en": "(none)"},
    "diff.reason": {"nn": "grunngjeving", "nb": "begrunnelse", "en": "reason"},
    "diff.assessment": {"nn": "vurdering", "nb": "vurdering", "en": "assessment"},
    "diff.missing": {"nn": "MANGLAR", "nb": "MANGLER", "en": "MISSING"},
    # the case document (saksframlegg)
    "doc.title": {"nn": "Saksframlegg", "nb": "Saksframlegg", "en": "Case presentation"},
    "doc.plan": {"nn": "Plan", "nb": "Plan", "en": "Plan"},
    "doc.version": {"nn": "Versjon", "nb": "Versjon", "en": "Version"},
    "doc.revises": {"nn": "revisjon av versjon {number}", "nb": "revisjon av versjon {number}",
                    "en": "revision of version {number}"},
    "doc.partnership": {"nn": "Partnarskap", "nb": "Partnerskap", "en": "Partnership"},
    "doc.date": {"nn": "Dato", "nb": "Dato", "en": "Date"},
    "doc.background": {"nn": "Bakgrunn", "nb": "Bakgrunn", "en": "Background"},
    "doc.sub_goals": {"nn": "Delmål og tiltak", "nb": "Delmål og tiltak", "en": "Sub-goals and measures"},
    "doc.sub_goal": {"nn": "Delmål {n}: {title}", "nb": "Delmål {n}: {title}", "en": "Sub-goal {n}: {title}"},
    "doc.weight": {"nn": "Vekt i budsjettet: {weight} %", "nb": "Vekt i budsjettet: {weight} %",
                   "en": "Budget weight: {weight} %"},
    "doc.measures_of": {"nn": "Tiltak under delmål {n}, budsjett per år", "nb": "Tiltak under delmål {n}, "
                        "budsjett per år", "en": "Measures under sub-goal {n}, budget per year"},
    "doc.no_measures": {"nn": "Ingen tiltak under dette delmålet i denne versjonen.",
                        "nb": "Ingen tiltak under dette delmålet i denne versjonen.",
                        "en": "No measures under this sub-goal in this version."},
    "doc.measure": {"nn": "Tiltak", "nb": "Tiltak", "en": "Measure"},
    "doc.responsible": {"nn": "Ansvarleg", "nb": "Ansvarlig", "en": "Responsible"},
    "doc.period": {"nn": "Periode", "nb": "Periode", "en": "Period"},
    "doc.funding": {"nn": "Finansiering", "nb": "Finansiering", "en": "Funding"},
    "doc.status": {"nn": "Status", "nb": "Status", "en": "Status"},
    "doc.sum": {"nn": "Sum", "nb": "Sum", "en": "Total"},
    "doc.budget": {"nn": "Budsjett og finansieringsplan", "nb": "Budsjett og finansieringsplan",
                   "en": "Budget and financing plan"},
    "doc.allocation": {"nn": "Fordeling av tiltaksmidlar per delmål mot vekt (heile perioden)",
                       "nb": "Fordeling av tiltaksmidler per delmål mot vekt (hele perioden)",
                       "en": "Measure funds per sub-goal against weight (whole period)"},
    "doc.allocated": {"nn": "Fordelt", "nb": "Fordelt", "en": "Allocated"},
    "doc.share": {"nn": "Del", "nb": "Andel", "en": "Share"},
    "doc.weight_col": {"nn": "Vekt", "nb": "Vekt", "en": "Weight"},
    "doc.ledger": {"nn": "Statlege midlar per år, med overføring til seinare år",
                   "nb": "Statlige midler per år, med overføring til senere år",
                   "en": "State funds per year, with carry-over to later years"},
    "doc.year": {"nn": "År", "nb": "År", "en": "Year"},
    "doc.operating_grant": {"nn": "Driftstilskot", "nb": "Driftstilskudd", "en": "Operating grant"},
    "doc.granted": {"nn": "Tiltaksmidlar løyvd", "nb": "Tiltaksmidler bevilget",
                    "en": "Measure funds granted"},
    "doc.carried_in": {"nn": "Overført frå året før", "nb": "Overført fra året før",
                       "en": "Carried over from the year before"},
    "doc.available": {"nn": "Tilgjengeleg", "nb": "Tilgjengelig", "en": "Available"},
    "doc.spent": {"nn": "Brukt", "nb": "Brukt", "en": "Spent"},
    "doc.carried_out": {"nn": "Overført til året etter", "nb": "Overført til året etter",
                        "en": "Carried over to the next year"},
    "doc.notes": {"nn": "Merknader frå kontrollen", "nb": "Merknader fra kontrollen",
                  "en": "Remarks from the checks"},
    "doc.revision": {"nn": "Endringar sidan versjon {number}", "nb": "Endringer siden versjon {number}",
                     "en": "Changes since version {number}"},
    "doc.changed_fields": {"nn": "Endra", "nb": "Endret", "en": "Changed"},
    "doc.proposal": {"nn": "Framlegg til vedtak", "nb": "Forslag til vedtak", "en": "Proposed resolution"},
    "doc.proposal_note": {
        "nn": "Teksten er den same for alle kommunane; vedtaka blir samanlikna med han.",
        "nb": "Teksten er den samme for alle kommunene; vedtakene blir sammenlignet med den.",
        "en": "The text is the same for every municipality; the resolutions are compared with it."},
    "doc.checksum": {"nn": "Kontrollsum (SHA-256) for framlegget",
                     "nb": "Kontrollsum (SHA-256) for forslaget",
                     "en": "Checksum (SHA-256) of the proposal"},
    "doc.no_content": {"nn": "Denne versjonen har berre framlegget til vedtak.",
                       "nb": "Denne versjonen har bare forslaget til vedtak.",
                       "en": "This version has only the proposed resolution."},
    # the yearly report
    "report.title": {"nn": "Årsrapport {year}", "nb": "Årsrapport {year}", "en": "Yearly report {year}"},
    "report.made": {"nn": "Laga {day}", "nb": "Laget {day}", "en": "Made on {day}"},
    "report.from_version": {"nn": "Tiltak frå versjon {number} ({state})",
                            "nb": "Tiltak fra versjon {number} ({state})",
                            "en": "Measures from version {number} ({state})"},
    "report.measures": {"nn": "Status for tiltaka", "nb": "Status for tiltakene",
                        "en": "Status of the measures"},
    "report.measures_caption": {"nn": "Tiltak, pengar fordelt og brukt i {year}",
                                "nb": "Tiltak, penger fordelt og brukt i {year}",
                                "en": "Measures, money allocated and spent in {year}"},
    "report.money": {"nn": "Pengar per delmål", "nb": "Penger per delmål", "en": "Money per sub-goal"},
    "report.money_caption": {"nn": "Fordelt og brukt per delmål i {year}",
                             "nb": "Fordelt og brukt per delmål i {year}",
                             "en": "Allocated and spent per sub-goal in {year}"},
    "report.ended": {"nn": "Kva avslutta tiltak har bidrege til",
                     "nb": "Hva avsluttede tiltak har bidratt til",
                     "en": "What ended measures achieved"},
    "report.approvals": {"nn": "Godkjenningshistorikk", "nb": "Godkjenningshistorikk",
                         "en": "Approval history"},
    "report.approvals_caption": {"nn": "Hendingar i {year}", "nb": "Hendelser i {year}",
                                 "en": "Events in {year}"},
    "report.event": {"nn": "Hending", "nb": "Hendelse", "en": "Event"},
    "report.party": {"nn": "Part", "nb": "Part", "en": "Party"},
    "report.change": {"nn": "Frå → til", "nb": "Fra → til", "en": "From → to"},
    "report.no_plans": {"nn": "Ingen planversjonar dette året.", "nb": "Ingen planversjoner dette året.",
                        "en": "No plan versions this year."},
    # plain-text views of the content (bvflow content show/check)
    "show.weight": {"nn": "vekt", "nb": "vekt", "en": "weight"},
    "show.ledger": {"nn": "Tiltaksmidlar per år (overføring medrekna)",
                    "nb": "Tiltaksmidler per år (overføring medregnet)",
                    "en": "Measure funds per year (carry-over included)"},
    "show.columns": {"nn": "år    løyvd  overført inn  tilgjengeleg  fordelt  brukt  overført ut",
                     "nb": "år    bevilget  overført inn  tilgjengelig  fordelt  brukt  overført ut",
                     "en": "year  granted  carried in  available  allocated  spent  carried out"},
    "show.error": {"nn": "feil", "nb": "feil", "en": "error"},
    "show.warning": {"nn": "åtvaring", "nb": "advarsel", "en": "warning"},
    "show.ok": {"nn": "Innhaldet er i orden.", "nb": "Innholdet er i orden.",
                "en": "The content is in order."},
}
