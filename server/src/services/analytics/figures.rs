//! Analytics figures from the messages and the usage ledger of a range of days.
//!
//! Everything is computed here from plain rows (`db::analytics`), so the figures are the same on
//! SQLite and PostgreSQL and exact: counts are counts, money is integer micro-dollars, and
//! percentiles use the nearest-rank method (always one of the measured values).

use std::collections::{BTreeMap, HashMap};

use app::error::AppError;
use app::model::{
    AnalyticsQuery, AnalyticsReport, DayFigures, GapGroup, ModelFigures, Percentiles, Totals,
    DEFAULT_ANALYTICS_DAYS, MAX_ANALYTICS_DAYS, MAX_GAP_CONVERSATIONS, MAX_GAP_GROUPS,
};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::db::analytics::{MessageFact, CUSTOMER, OWNER};
use crate::db::entities::llm_usage;
use crate::knowledge::language;

/// Days in the business's time zone, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: Tz,
}

/// A field's value, unless it is missing or blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_day(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "Enter a date as YYYY-MM-DD."))
}

impl Range {
    /// The asked range, or the last [`DEFAULT_ANALYTICS_DAYS`] days up to `today`.
    pub fn parse(query: &AnalyticsQuery, tz: Tz, today: NaiveDate) -> Result<Self, AppError> {
        let to = match given(&query.to) {
            Some(to) => parse_day("to", to)?,
            None => today,
        };
        let from = match given(&query.from) {
            Some(from) => parse_day("from", from)?,
            None => {
                let days = query.days.unwrap_or(DEFAULT_ANALYTICS_DAYS);
                if !(1..=MAX_ANALYTICS_DAYS).contains(&days) {
                    return Err(AppError::invalid(
                        "days",
                        format!("Pick from 1 to {MAX_ANALYTICS_DAYS} days."),
                    ));
                }
                to - Days::new(u64::from(days - 1))
            }
        };
        if from > to {
            return Err(AppError::invalid(
                "from",
                "The start date is after the end date.",
            ));
        }
        if (to - from).num_days() >= i64::from(MAX_ANALYTICS_DAYS) {
            return Err(AppError::invalid(
                "from",
                format!("Pick at most {MAX_ANALYTICS_DAYS} days."),
            ));
        }
        Ok(Self { from, to, tz })
    }

    /// The first instant of the range.
    pub fn start(&self) -> DateTime<Utc> {
        midnight(self.tz, self.from)
    }

    /// The first instant after the range.
    pub fn end(&self) -> DateTime<Utc> {
        midnight(self.tz, self.to + Days::new(1))
    }

    fn day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }
}

/// The start of `day` in `tz`. Where a clock change skips midnight, the day starts at the first
/// instant that exists.
fn midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=3)
        .find_map(|hour| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(hour)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

/// Nearest-rank percentiles of `values` (sorted here).
fn percentiles(mut values: Vec<i64>) -> Percentiles {
    values.sort_unstable();
    let rank = |p: usize| -> Option<i64> {
        let n = values.len();
        (n > 0).then(|| values[(p * n).div_ceil(100).max(1) - 1])
    };
    Percentiles {
        count: u32::try_from(values.len()).unwrap_or(u32::MAX),
        p50_ms: rank(50),
        p95_ms: rank(95),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A knowledge-gap answer and the question it answered.
struct Gap<'a> {
    answer: &'a MessageFact,
    /// The customer's messages since the previous reply (ids, oldest first).
    question: Vec<i32>,
}

/// Walks each conversation in order: the customer's unanswered messages, then the reply.
fn gaps(facts: &[MessageFact]) -> Vec<Gap<'_>> {
    let mut out = Vec::new();
    let mut pending: Vec<i32> = Vec::new();
    let mut conversation = None;
    for fact in facts {
        if conversation != Some(fact.conversation_id) {
            conversation = Some(fact.conversation_id);
            pending.clear();
        }
        if fact.author == CUSTOMER {
            pending.push(fact.id);
            continue;
        }
        if fact.knowledge_gap {
            out.push(Gap {
                answer: fact,
                question: pending.clone(),
            });
        }
        pending.clear();
    }
    out
}

/// The inbound messages whose text analytics shows as knowledge-gap questions.
pub fn question_ids(facts: &[MessageFact]) -> Vec<i32> {
    gaps(facts).into_iter().flat_map(|g| g.question).collect()
}

/// From a customer's first unanswered message to the next reply, per answered turn.
fn first_responses(facts: &[MessageFact]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut waiting: Option<(i32, DateTime<Utc>)> = None;
    for fact in facts {
        if waiting.is_some_and(|(conversation, _)| conversation != fact.conversation_id) {
            waiting = None;
        }
        if fact.author == CUSTOMER {
            waiting.get_or_insert((fact.conversation_id, fact.sent_at));
        } else if let Some((_, since)) = waiting.take() {
            // A customer's clock may run ahead of ours: never a negative wait.
            out.push((fact.sent_at - since).num_milliseconds().max(0));
        }
    }
    out
}

/// Questions asked in the same meaningful words (any order) are one group.
fn group_key(question: &str) -> String {
    let mut words: Vec<String> = language::content_words(question, &[])
        .iter()
        .map(|w| language::fold(w))
        .collect();
    words.sort_unstable();
    words.dedup();
    if words.is_empty() {
        question.trim().to_lowercase()
    } else {
        words.join(" ")
    }
}

fn gap_groups(gaps: &[Gap<'_>], bodies: &HashMap<i32, String>) -> Vec<GapGroup> {
    struct Building {
        group: GapGroup,
        last: DateTime<Utc>,
        asked_in: Vec<(DateTime<Utc>, i32)>,
    }
    let mut groups: HashMap<String, Building> = HashMap::new();
    for gap in gaps {
        let question = gap
            .question
            .iter()
            .filter_map(|id| bodies.get(id))
            .map(|b| b.trim())
            .filter(|b| !b.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if question.is_empty() {
            continue; // a photo alone, or a question asked before the range
        }
        let at = gap.answer.sent_at;
        let handed_off = gap.answer.handoff;
        let entry = groups
            .entry(group_key(&question))
            .or_insert_with(|| Building {
                group: GapGroup::default(),
                last: at,
                asked_in: Vec::new(),
            });
        let g = &mut entry.group;
        g.count += 1;
        g.handed_off += u32::from(handed_off);
        if at >= entry.last || g.question.is_empty() {
            entry.last = at;
            g.question = question;
        }
        entry.asked_in.push((at, gap.answer.conversation_id));
    }
    let mut out: Vec<(DateTime<Utc>, GapGroup)> = groups
        .into_values()
        .map(|mut b| {
            b.asked_in.sort_unstable_by(|a, b| b.cmp(a));
            for (_, id) in b.asked_in {
                if b.group.conversation_ids.len() == MAX_GAP_CONVERSATIONS {
                    break;
                }
                if !b.group.conversation_ids.contains(&id) {
                    b.group.conversation_ids.push(id);
                }
            }
            (b.last, b.group)
        })
        .collect();
    out.sort_by(|(a_at, a), (b_at, b)| b.count.cmp(&a.count).then(b_at.cmp(a_at)));
    out.truncate(MAX_GAP_GROUPS);
    out.into_iter()
        .map(|(last, mut g)| {
            g.last_at = crate::services::time(last);
            g
        })
        .collect()
}

/// The report of `range`.
pub fn report(
    range: &Range,
    facts: &[MessageFact],
    usage: &[llm_usage::Model],
    new_conversations: u64,
    bodies: &HashMap<i32, String>,
) -> AnalyticsReport {
    let mut days: BTreeMap<NaiveDate, DayFigures> = range
        .days()
        .map(|d| {
            let figures = DayFigures {
                day: d.to_string(),
                ..DayFigures::default()
            };
            (d, figures)
        })
        .collect();
    let mut totals = Totals {
        new_conversations: u32::try_from(new_conversations).unwrap_or(u32::MAX),
        ..Totals::default()
    };
    let mut active = std::collections::HashSet::new();
    let mut handed_off = std::collections::HashSet::new();
    let mut latencies = Vec::new();
    for fact in facts {
        active.insert(fact.conversation_id);
        let Some(day) = days.get_mut(&range.day(fact.sent_at)) else {
            continue;
        };
        match fact.author {
            CUSTOMER => day.customer += 1,
            OWNER => day.owner += 1,
            _ => day.ai += 1,
        }
        if fact.ai {
            if let Some(latency) = fact.latency_ms {
                totals.answers += 1;
                latencies.push(i64::from(latency));
            }
            if fact.handoff {
                totals.handoffs += 1;
                handed_off.insert(fact.conversation_id);
            }
        }
        totals.knowledge_gaps += u32::from(fact.knowledge_gap);
    }
    let mut models: BTreeMap<(String, String), ModelFigures> = BTreeMap::new();
    for call in usage {
        if let Some(day) = days.get_mut(&range.day(call.created_at)) {
            day.cost_micros += call.cost_micros;
        }
        totals.cost_micros += call.cost_micros;
        let m = models
            .entry((call.provider.clone(), call.model.clone()))
            .or_insert_with(|| ModelFigures {
                provider: call.provider.clone(),
                model: call.model.clone(),
                ..ModelFigures::default()
            });
        m.calls += 1;
        m.failed += u32::from(!call.ok);
        m.tokens_in += i64::from(call.tokens_in);
        m.tokens_out += i64::from(call.tokens_out);
        m.cost_micros += call.cost_micros;
    }
    for day in days.values() {
        totals.customer += day.customer;
        totals.ai += day.ai;
        totals.owner += day.owner;
    }
    totals.active_conversations = count(active.len());
    totals.handed_off_conversations = count(handed_off.len());
    totals.first_response = percentiles(first_responses(facts));
    totals.ai_latency = percentiles(latencies);
    let mut models: Vec<ModelFigures> = models.into_values().collect();
    models.sort_by(|a, b| {
        b.cost_micros
            .cmp(&a.cost_micros)
            .then(b.calls.cmp(&a.calls))
    });
    AnalyticsReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        timezone: range.tz.name().to_owned(),
        days: days.into_values().collect(),
        totals,
        models,
        gaps: gap_groups(&gaps(facts), bodies),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::analytics::ASSISTANT;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn fact(id: i32, conversation: i32, sender: &str, sent_at: &str) -> MessageFact {
        MessageFact {
            id,
            conversation_id: conversation,
            author: match sender {
                "customer" => CUSTOMER,
                "agent" => OWNER,
                _ => ASSISTANT,
            },
            ai: sender == "ai",
            sent_at: at(sent_at),
            latency_ms: None,
            handoff: false,
            knowledge_gap: false,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let p = percentiles((1..=20).rev().collect());
        assert_eq!((p.count, p.p50_ms, p.p95_ms), (20, Some(10), Some(19)));
        let one = percentiles(vec![7]);
        assert_eq!((one.p50_ms, one.p95_ms), (Some(7), Some(7)));
        assert_eq!(percentiles(Vec::new()).p50_ms, None);
    }

    #[test]
    fn ranges_default_and_refuse_what_makes_no_sense() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
        let r = Range::parse(&AnalyticsQuery::default(), Tz::UTC, today).expect("range");
        assert_eq!(
            (r.from.to_string(), r.to.to_string()),
            ("2026-03-02".into(), "2026-03-31".into())
        );
        let q = |from: &str, to: &str| AnalyticsQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            days: None,
        };
        let week = AnalyticsQuery {
            days: Some(7),
            ..AnalyticsQuery::default()
        };
        let r = Range::parse(&week, Tz::UTC, today).expect("range");
        assert_eq!(r.from.to_string(), "2026-03-25");
        let none = AnalyticsQuery {
            days: Some(0),
            ..AnalyticsQuery::default()
        };
        assert!(Range::parse(&none, Tz::UTC, today).is_err());
        assert!(Range::parse(&q("2026-03-05", "2026-03-01"), Tz::UTC, today).is_err());
        assert!(Range::parse(&q("2025-01-01", "2026-03-01"), Tz::UTC, today).is_err());
        assert!(Range::parse(&q("31/03/2026", "2026-03-01"), Tz::UTC, today).is_err());
        // Days start at the business's midnight, clock changes included (São Paulo once
        // skipped midnight; Berlin's day of the spring change is 23 hours long).
        let berlin = Range::parse(
            &q("2026-03-29", "2026-03-29"),
            chrono_tz::Europe::Berlin,
            today,
        )
        .expect("range");
        assert_eq!(berlin.start(), at("2026-03-28T23:00:00Z"));
        assert_eq!(berlin.end(), at("2026-03-29T22:00:00Z"));
        assert_eq!(
            midnight(
                chrono_tz::America::Sao_Paulo,
                NaiveDate::from_ymd_opt(2018, 11, 4).expect("date")
            ),
            at("2018-11-04T03:00:00Z")
        );
    }

    #[test]
    fn first_response_counts_each_answered_turn_once() {
        let facts = vec![
            fact(1, 1, "customer", "2026-03-01T10:00:00Z"),
            fact(2, 1, "customer", "2026-03-01T10:00:30Z"),
            fact(3, 1, "ai", "2026-03-01T10:00:02Z"), // ids order turns, not clocks: 0 ms
            fact(4, 1, "ai", "2026-03-01T10:00:05Z"), // a second part: not a new response
            fact(5, 1, "customer", "2026-03-01T11:00:00Z"),
            fact(6, 1, "agent", "2026-03-01T11:05:00Z"),
            fact(7, 2, "customer", "2026-03-01T12:00:00Z"), // never answered
            fact(8, 3, "agent", "2026-03-01T12:00:00Z"),
        ];
        assert_eq!(first_responses(&facts), vec![2_000, 300_000]);
    }

    #[test]
    fn gaps_take_the_question_since_the_previous_reply_and_group_by_words() {
        let mut facts = vec![
            fact(1, 1, "customer", "2026-03-01T10:00:00Z"),
            fact(2, 1, "ai", "2026-03-01T10:00:01Z"),
            fact(3, 1, "customer", "2026-03-01T10:01:00Z"),
            fact(4, 1, "customer", "2026-03-01T10:01:05Z"),
            fact(5, 1, "ai", "2026-03-01T10:01:09Z"),
            fact(6, 2, "customer", "2026-03-02T09:00:00Z"),
            fact(7, 2, "ai", "2026-03-02T09:00:03Z"),
        ];
        for i in [4, 6] {
            facts[i].knowledge_gap = true;
        }
        facts[6].handoff = true;
        assert_eq!(question_ids(&facts), vec![3, 4, 6]);
        let bodies: HashMap<i32, String> = [
            (3, "Do you deliver"),
            (4, "on Sundays?"),
            (6, "sundays deliver?? you do"),
        ]
        .into_iter()
        .map(|(id, b)| (id, b.to_owned()))
        .collect();
        let groups = gap_groups(&gaps(&facts), &bodies);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!((g.count, g.handed_off), (2, 1));
        assert_eq!(g.question, "sundays deliver?? you do");
        assert_eq!(g.conversation_ids, vec![2, 1]);
        assert_eq!(g.last_at, "2026-03-02T09:00:03Z");
    }
}
