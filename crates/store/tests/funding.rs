//! The donations ledger on both backends: every Stripe payment counted once, refunds and
//! lost disputes netted exactly in any order, manual entries reversed, months in the site's
//! time zone, and other currencies kept apart.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use tribune_core::funding::donations::{
    FundingError, ManualDonation, Recorded, add_manual_donation, current_progress, record_stripe_event,
    reverse_entry, set_goal,
};
use tribune_core::funding::guard::Guard;
use tribune_core::funding::month::Month;
use tribune_core::funding::stripe::{Effect, Event};
use tribune_core::store::FundingStore;
use tribune_store::Store;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

const NEW_YORK: Tz = chrono_tz::America::New_York;

fn july() -> Month {
    Month::parse("2020-07").unwrap()
}

/// 15 July 2020, noon in New York.
fn mid_july() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 7, 15, 16, 0, 0).unwrap()
}

fn paid(event: &str, key: &str, cents: i64, at: DateTime<Utc>) -> Event {
    Event {
        id: event.into(),
        created: at.timestamp(),
        effect: Effect::Paid {
            payment_key: key.into(),
            amount_minor: cents,
            currency: "USD".into(),
            supporter_name: None,
        },
        donor_email: None,
    }
}

fn refunded(event: &str, key: &str, total_cents: i64, at: DateTime<Utc>) -> Event {
    Event {
        id: event.into(),
        created: at.timestamp(),
        effect: Effect::Refunded {
            payment_key: key.into(),
            refunded_total_minor: total_cents,
            currency: "USD".into(),
        },
        donor_email: None,
    }
}

fn dispute_lost(event: &str, key: &str, cents: i64, currency: &str) -> Event {
    Event {
        id: event.into(),
        created: mid_july().timestamp(),
        effect: Effect::DisputeLost {
            payment_key: key.into(),
            amount_minor: cents,
            currency: currency.into(),
        },
        donor_email: None,
    }
}

fn in_currency(mut event: Event, code: &str) -> Event {
    match &mut event.effect {
        Effect::Paid { currency, .. }
        | Effect::Refunded { currency, .. }
        | Effect::DisputeLost { currency, .. } => *currency = code.into(),
        Effect::Ignored { .. } => {}
    }
    event
}

async fn record(store: &Store, e: &Event) -> Recorded {
    record_stripe_event(store, e, Guard::default(), NEW_YORK, mid_july()).await.unwrap()
}

async fn raised(store: &Store, month: Month) -> i64 {
    store
        .month_totals(month, month)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.currency == "USD")
        .map(|t| t.net_minor)
        .sum()
}

on_both_backends!(
    a_payment_counts_once_whatever_describes_it,
    refunds_net_out_in_any_order_and_any_number_of_deliveries,
    lost_disputes_are_subtracted,
    months_follow_the_site_time_zone,
    manual_entries_are_reversed_never_edited,
    other_currencies_are_recorded_but_not_counted,
    goals_carry_forward,
    concurrent_deliveries_give_an_exact_total,
    a_refund_never_takes_more_than_its_payment,
    a_refund_in_another_currency_is_recorded_flagged_and_not_counted,
    a_refund_and_a_lost_dispute_never_take_a_payment_below_zero,
    every_order_and_replay_of_a_payments_events_nets_the_same,
    a_gift_above_the_ceiling_is_refused_unless_confirmed,
    a_new_currency_that_drops_counted_gifts_needs_confirmation,
    a_goal_set_again_without_text_keeps_it,
    a_gift_dated_in_the_future_is_refused,
);

/// The default guard with a large amount confirmed, as `--confirm-large` gives.
fn large() -> Guard {
    Guard { large_confirmed: true, ..Guard::default() }
}

fn gift(amount: &str, currency: &str, day: u32) -> ManualDonation {
    ManualDonation {
        amount: amount.into(),
        currency: currency.into(),
        date: Some(chrono::NaiveDate::from_ymd_opt(2020, 7, day).unwrap()),
        donor: None,
        note: None,
    }
}

async fn a_gift_above_the_ceiling_is_refused_unless_confirmed(db: TestDatabase) {
    let s = &db.store;
    let guard = Guard::default();
    // A typo: three zeros too many.
    let bad = add_manual_donation(s, gift("2500000", "USD", 10), guard, NEW_YORK, mid_july()).await;
    let Err(e @ FundingError::AboveCeiling { .. }) = bad else { panic!("{bad:?}") };
    assert_eq!(
        e.to_string(),
        "amount: $2,500,000 is more than $100,000, the largest amount this site takes without a \
         confirmation (setting funding_ceiling); check it for a typo"
    );
    let paid_too_much = paid("evt_big", "pi_big", 10_000_001, mid_july());
    let refused = record_stripe_event(s, &paid_too_much, guard, NEW_YORK, mid_july()).await;
    assert!(matches!(refused, Err(FundingError::AboveCeiling { field: "amount", .. })), "{refused:?}");
    let goal = set_goal(s, july(), "100000.01", "USD", &[], None, guard, mid_july()).await;
    assert!(matches!(goal, Err(FundingError::AboveCeiling { field: "goal", .. })), "{goal:?}");
    assert!(s.entries_of_month(july()).await.unwrap().is_empty(), "nothing recorded");
    assert!(s.goals_until(july()).await.unwrap().is_empty(), "no goal set");
    // Exactly the ceiling is fine; above it, confirmed, too; the ceiling is a setting.
    add_manual_donation(s, gift("100000", "USD", 10), guard, NEW_YORK, mid_july()).await.unwrap();
    add_manual_donation(s, gift("2500000", "USD", 10), large(), NEW_YORK, mid_july()).await.unwrap();
    let low = Guard::with_ceiling(50);
    assert!(add_manual_donation(s, gift("50.01", "USD", 10), low, NEW_YORK, mid_july()).await.is_err());
    // The ceiling is in the gift's own units: 100,000 yen pass, 100,001 do not.
    add_manual_donation(s, gift("100000", "JPY", 10), guard, NEW_YORK, mid_july()).await.unwrap();
    assert!(add_manual_donation(s, gift("100001", "JPY", 10), guard, NEW_YORK, mid_july()).await.is_err());
    assert_eq!(raised(s, july()).await, 260_000_000);
}

async fn a_new_currency_that_drops_counted_gifts_needs_confirmation(db: TestDatabase) {
    let s = &db.store;
    let guard = Guard::default();
    set_goal(s, july(), "5000", "USD", &[], Some("Keep us going".into()), guard, mid_july()).await.unwrap();
    // No gifts yet: changing the currency loses nothing.
    set_goal(s, july(), "5000", "EUR", &[], None, guard, mid_july()).await.unwrap();
    set_goal(s, july(), "5000", "USD", &[], None, guard, mid_july()).await.unwrap();
    add_manual_donation(s, gift("120.50", "USD", 3), guard, NEW_YORK, mid_july()).await.unwrap();
    let bad = set_goal(s, july(), "4000", "EUR", &[], None, guard, mid_july()).await;
    let Err(e @ FundingError::CurrencyChange { .. }) = bad else { panic!("{bad:?}") };
    assert_eq!(
        e.to_string(),
        "currency: July 2020 already has $120.50 given in USD; with a goal in EUR, those gifts would no \
         longer count toward it. Confirm the change of currency to go ahead"
    );
    let goal = s.goal_at_or_before(july()).await.unwrap().unwrap();
    assert_eq!((goal.amount.minor, goal.amount.currency.code()), (500_000, "USD"), "unchanged");
    add_manual_donation(s, gift("10", "USD", 14), guard, NEW_YORK, mid_july()).await.unwrap();
    let confirmed = Guard { currency_change_confirmed: true, ..guard };
    let goal = set_goal(s, july(), "4000", "EUR", &[], None, confirmed, mid_july()).await.unwrap();
    assert_eq!(goal.amount.currency.code(), "EUR");
    assert_eq!(goal.text.as_deref(), Some("Keep us going"));
    // August has no gifts: a new currency there needs nothing.
    set_goal(s, july().next(), "4000", "GBP", &[], None, guard, mid_july()).await.unwrap();
}

async fn a_goal_set_again_without_text_keeps_it(db: TestDatabase) {
    let s = &db.store;
    let guard = Guard::default();
    set_goal(s, july(), "5000", "USD", &[], Some("  Keep the newsroom open ".into()), guard, mid_july())
        .await
        .unwrap();
    let again = set_goal(s, july(), "6000", "USD", &[], None, guard, mid_july()).await.unwrap();
    assert_eq!(again.text.as_deref(), Some("Keep the newsroom open"));
    let stored = s.goal_at_or_before(july()).await.unwrap().unwrap();
    assert_eq!((stored.amount.minor, stored.text.as_deref()), (600_000, Some("Keep the newsroom open")));
    // The next month starts from the text the site shows.
    let august = set_goal(s, july().next(), "6000", "USD", &[], None, guard, mid_july()).await.unwrap();
    assert_eq!(august.text.as_deref(), Some("Keep the newsroom open"));
    let cleared =
        set_goal(s, july(), "6000", "USD", &[], Some(String::new()), guard, mid_july()).await.unwrap();
    assert_eq!(cleared.text, None);
    assert_eq!(s.goal_at_or_before(july()).await.unwrap().unwrap().text, None);
}

async fn a_gift_dated_in_the_future_is_refused(db: TestDatabase) {
    let s = &db.store;
    let guard = Guard::default();
    // 15 July at noon in New York: the 15th is today, the 16th is tomorrow.
    add_manual_donation(s, gift("10", "USD", 15), guard, NEW_YORK, mid_july()).await.unwrap();
    let bad = add_manual_donation(s, gift("10", "USD", 16), guard, NEW_YORK, mid_july()).await;
    let Err(e @ FundingError::FutureDate(_)) = bad else { panic!("{bad:?}") };
    assert_eq!(e.to_string(), "date: 2020-07-16 is in the future; record a gift once it has been received");
    // Already the 16th in Auckland: the site's calendar decides.
    add_manual_donation(s, gift("10", "USD", 16), guard, chrono_tz::Pacific::Auckland, mid_july())
        .await
        .unwrap();
    assert_eq!(s.entries_of_month(july()).await.unwrap().len(), 2);
}

async fn a_payment_counts_once_whatever_describes_it(db: TestDatabase) {
    let s = &db.store;
    assert!(matches!(record(s, &paid("evt_1", "pi_1", 2500, mid_july())).await, Recorded::Counted(_)));
    assert_eq!(record(s, &paid("evt_1", "pi_1", 2500, mid_july())).await, Recorded::Duplicate, "redelivery");
    assert_eq!(
        record(s, &paid("evt_2", "pi_1", 2500, mid_july())).await,
        Recorded::Duplicate,
        "another event, same payment"
    );
    let ignored = Event {
        id: "evt_3".into(),
        created: 0,
        effect: Effect::Ignored { event_type: "customer.created".into() },
        donor_email: None,
    };
    assert_eq!(record(s, &ignored).await, Recorded::Ignored);
    assert_eq!(raised(s, july()).await, 2500);
    assert_eq!(s.entries_of_month(july()).await.unwrap().len(), 1);
}

async fn refunds_net_out_in_any_order_and_any_number_of_deliveries(db: TestDatabase) {
    let s = &db.store;
    // The refund arrives before its payment; then a second partial refund; then repeats.
    record(s, &refunded("evt_r1", "pi_9", 1000, mid_july())).await;
    assert_eq!(raised(s, july()).await, 0, "a refund alone does not make a negative month");
    record(s, &paid("evt_p", "pi_9", 5000, mid_july())).await;
    assert_eq!(raised(s, july()).await, 4000);
    record(s, &refunded("evt_r2", "pi_9", 1500, mid_july())).await;
    record(s, &refunded("evt_r1", "pi_9", 1000, mid_july())).await;
    record(s, &refunded("evt_r2", "pi_9", 1500, mid_july())).await;
    assert_eq!(raised(s, july()).await, 3500, "cumulative amounts: the largest counts, once");
    // A refund made in August reduces July's payment.
    let august = Utc.with_ymd_and_hms(2020, 8, 10, 12, 0, 0).unwrap();
    record(s, &refunded("evt_r3", "pi_9", 5000, august)).await;
    assert_eq!(raised(s, july()).await, 0);
    assert_eq!(raised(s, Month::parse("2020-08").unwrap()).await, 0);
}

async fn lost_disputes_are_subtracted(db: TestDatabase) {
    let s = &db.store;
    record(s, &paid("evt_a", "pi_a", 3000, mid_july())).await;
    record(s, &paid("evt_b", "pi_b", 2000, mid_july())).await;
    let lost = Event {
        id: "evt_d".into(),
        created: mid_july().timestamp(),
        effect: Effect::DisputeLost {
            payment_key: "pi_a".into(),
            amount_minor: 3000,
            currency: "USD".into(),
        },
        donor_email: None,
    };
    record(s, &lost).await;
    assert_eq!(
        record(s, &Event { id: "evt_d2".into(), ..lost.clone() }).await,
        Recorded::Duplicate,
        "one loss per payment"
    );
    assert_eq!(raised(s, july()).await, 2000);
}

async fn months_follow_the_site_time_zone(db: TestDatabase) {
    let s = &db.store;
    // 23:30 on 31 July in New York is 03:30 on 1 August in UTC: July's.
    let late_july = Utc.with_ymd_and_hms(2020, 8, 1, 3, 30, 0).unwrap();
    record(s, &paid("evt_late", "pi_late", 700, late_july)).await;
    // 00:30 on 1 August in New York.
    let early_august = Utc.with_ymd_and_hms(2020, 8, 1, 4, 30, 0).unwrap();
    record(s, &paid("evt_early", "pi_early", 900, early_august)).await;
    assert_eq!(raised(s, july()).await, 700);
    assert_eq!(raised(s, Month::parse("2020-08").unwrap()).await, 900);
    set_goal(s, july(), "5000", "USD", &[], None, Guard::default(), mid_july()).await.unwrap();
    let at_july_end = current_progress(s, NEW_YORK, true, late_july).await.unwrap().unwrap();
    assert_eq!((at_july_end.goal.month, at_july_end.raised.minor), (july(), 700));
    let in_august = current_progress(s, NEW_YORK, true, early_august).await.unwrap().unwrap();
    assert_eq!(in_august.goal.month, Month::parse("2020-08").unwrap(), "rolled over at local midnight");
    assert_eq!(in_august.raised.minor, 900);
}

async fn manual_entries_are_reversed_never_edited(db: TestDatabase) {
    let s = &db.store;
    let gift = |amount: &str| ManualDonation {
        amount: amount.into(),
        currency: "usd".into(),
        date: Some(chrono::NaiveDate::from_ymd_opt(2020, 7, 10).unwrap()),
        donor: Some("Ines".into()),
        note: Some("bank transfer".into()),
    };
    let id = add_manual_donation(s, gift("25.00"), Guard::default(), NEW_YORK, mid_july()).await.unwrap();
    add_manual_donation(s, gift("10"), Guard::default(), NEW_YORK, mid_july()).await.unwrap();
    assert_eq!(raised(s, july()).await, 3500);
    reverse_entry(s, id, None, mid_july()).await.unwrap();
    assert_eq!(raised(s, july()).await, 1000);
    assert!(matches!(reverse_entry(s, id, None, mid_july()).await, Err(FundingError::AlreadyReversed(_))));
    assert_eq!(s.entries_of_month(july()).await.unwrap().len(), 3, "the original stays in the ledger");
    record(s, &paid("evt_x", "pi_x", 100, mid_july())).await;
    let stripe_id =
        s.entries_of_month(july()).await.unwrap().iter().find(|e| e.entry.payment_key.is_some()).unwrap().id;
    assert!(matches!(reverse_entry(s, stripe_id, None, mid_july()).await, Err(FundingError::NotManual(_))));
    let bad = add_manual_donation(s, gift("-5"), Guard::default(), NEW_YORK, mid_july()).await;
    assert!(matches!(bad, Err(FundingError::Money { field: "amount", .. })), "{bad:?}");
    assert_eq!(s.supporters(july()).await.unwrap(), ["Ines", "Ines"]);
}

async fn other_currencies_are_recorded_but_not_counted(db: TestDatabase) {
    let s = &db.store;
    set_goal(s, july(), "5000", "USD", &[], None, Guard::default(), mid_july()).await.unwrap();
    record(s, &paid("evt_usd", "pi_usd", 1000, mid_july())).await;
    let euros = Event {
        id: "evt_eur".into(),
        created: mid_july().timestamp(),
        effect: Effect::Paid {
            payment_key: "pi_eur".into(),
            amount_minor: 9999,
            currency: "eur".into(),
            supporter_name: None,
        },
        donor_email: None,
    };
    record(s, &euros).await;
    let totals = s.month_totals(july(), july()).await.unwrap();
    assert_eq!(
        totals.iter().map(|t| (t.currency.as_str(), t.net_minor)).collect::<Vec<_>>(),
        [("EUR", 9999), ("USD", 1000)]
    );
    let p = current_progress(s, NEW_YORK, true, mid_july()).await.unwrap().unwrap();
    assert_eq!(p.raised.minor, 1000);
}

async fn goals_carry_forward(db: TestDatabase) {
    let s = &db.store;
    assert!(current_progress(s, NEW_YORK, true, mid_july()).await.unwrap().is_none(), "no goal yet");
    set_goal(
        s,
        Month::parse("2020-05").unwrap(),
        "300000",
        "JPY",
        &["100000".into()],
        None,
        large(),
        mid_july(),
    )
    .await
    .unwrap();
    let p = current_progress(s, NEW_YORK, true, mid_july()).await.unwrap().unwrap();
    assert_eq!((p.goal.month, p.goal.amount.minor, p.goal.amount.currency.code()), (july(), 300000, "JPY"));
    assert!(
        current_progress(s, NEW_YORK, false, mid_july()).await.unwrap().is_none(),
        "carrying forward is a setting"
    );
    set_goal(s, july(), "1000", "USD", &[], None, Guard::default(), mid_july()).await.unwrap();
    set_goal(s, july(), "2000", "USD", &[], None, Guard::default(), mid_july()).await.unwrap();
    let p = current_progress(s, NEW_YORK, false, mid_july()).await.unwrap().unwrap();
    assert_eq!(p.goal.amount.minor, 200000, "setting a month's goal again replaces it");
    assert_eq!(s.goals_until(july()).await.unwrap().len(), 2);
    let bad = set_goal(s, july(), "1000", "USD", &["5000".into()], None, Guard::default(), mid_july()).await;
    assert!(bad.is_err(), "a milestone above the goal");
    let bad = set_goal(s, july(), "10", "XYZ", &[], None, Guard::default(), mid_july()).await;
    assert!(matches!(bad, Err(FundingError::Money { field: "currency", .. })));
}

async fn concurrent_deliveries_give_an_exact_total(db: TestDatabase) {
    // 250 payments of $1.00 to $2.50, each delivered four times (twice as the same event,
    // once as another event about the same payment, once with a partial refund), all at once.
    let mut tasks = Vec::new();
    let mut expected = 0;
    for i in 0..250_i64 {
        let cents = 100 + i;
        expected += cents - (i % 5);
        let key = format!("pi_{i}");
        let events = vec![
            paid(&format!("evt_p{i}"), &key, cents, mid_july()),
            paid(&format!("evt_p{i}"), &key, cents, mid_july()),
            paid(&format!("evt_q{i}"), &key, cents, mid_july()),
            refunded(&format!("evt_r{i}"), &key, i % 5, mid_july()),
        ];
        for e in events {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                record_stripe_event(&store, &e, Guard::default(), NEW_YORK, mid_july()).await.unwrap()
            }));
        }
    }
    let mut counted = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Recorded::Counted(_)) {
            counted += 1;
        }
    }
    assert_eq!(counted, 500, "one payment and one refund entry for each");
    assert_eq!(raised(&db.store, july()).await, expected);
}

async fn a_refund_never_takes_more_than_its_payment(db: TestDatabase) {
    let s = &db.store;
    record(s, &paid("evt_other", "pi_other", 700, mid_july())).await;
    // Before its payment, a refund of 5,000 counts nothing; after it, it takes the 1,000.
    record(s, &refunded("evt_r", "pi_1", 5000, mid_july())).await;
    assert_eq!(raised(s, july()).await, 700);
    record(s, &paid("evt_p", "pi_1", 1000, mid_july())).await;
    assert_eq!(raised(s, july()).await, 700, "not 700 - 4,000: the other payment is untouched");
    record(s, &refunded("evt_r2", "pi_other", i64::MAX, mid_july())).await;
    assert_eq!(raised(s, july()).await, 0, "the largest amount Stripe could send overflows nothing");
}

async fn a_refund_in_another_currency_is_recorded_flagged_and_not_counted(db: TestDatabase) {
    let s = &db.store;
    record(s, &paid("evt_p", "pi_1", 1000, mid_july())).await;
    let yen = record(s, &in_currency(refunded("evt_r", "pi_1", 5000, mid_july()), "JPY")).await;
    let euros = record(s, &dispute_lost("evt_d", "pi_1", 1000, "EUR")).await;
    assert!(
        matches!(yen, Recorded::Counted(_)) && matches!(euros, Recorded::Counted(_)),
        "both are recorded"
    );
    assert_eq!(raised(s, july()).await, 1000, "neither is subtracted from a USD payment");
    let totals = s.month_totals(july(), july()).await.unwrap();
    assert_eq!(
        totals.iter().map(|t| (t.currency.as_str(), t.net_minor)).collect::<Vec<_>>(),
        [("USD", 1000)]
    );
    let entries = s.entries_of_month(july()).await.unwrap();
    let flags: Vec<_> =
        entries.iter().map(|e| (e.entry.kind.as_str(), e.entry.amount.currency.code(), e.counted)).collect();
    assert_eq!(
        flags,
        [("payment", "USD", true), ("refund", "JPY", false), ("dispute_lost", "EUR", false)],
        "the admin ledger lists them, flagged"
    );
    let Recorded::Counted(id) = yen else { unreachable!() };
    assert!(!s.entry(id).await.unwrap().unwrap().counted);
    // A refund in the payment's own currency still counts.
    record(s, &refunded("evt_r2", "pi_1", 250, mid_july())).await;
    assert_eq!(raised(s, july()).await, 750);
}

async fn a_refund_and_a_lost_dispute_never_take_a_payment_below_zero(db: TestDatabase) {
    let s = &db.store;
    record(s, &paid("evt_keep", "pi_keep", 300, mid_july())).await;
    record(s, &paid("evt_p", "pi_1", 1000, mid_july())).await;
    record(s, &refunded("evt_r", "pi_1", 600, mid_july())).await;
    assert_eq!(raised(s, july()).await, 700);
    record(s, &dispute_lost("evt_d", "pi_1", 1000, "USD")).await;
    assert_eq!(raised(s, july()).await, 300, "600 + 1,000 taken from 1,000 leaves 0, not -600");
    // A later, larger cumulative refund changes nothing more.
    record(s, &refunded("evt_r2", "pi_1", 1000, mid_july())).await;
    assert_eq!(raised(s, july()).await, 300);
}

async fn every_order_and_replay_of_a_payments_events_nets_the_same(db: TestDatabase) {
    let s = &db.store;
    // A payment of 2,000, refunded 300 then 700 in all (cumulative), and a lost dispute of
    // 500: 800 remains, whichever order the events arrive in, each delivered twice.
    let mut done = 0;
    for (n, order) in permutations(&[0, 1, 2, 3]).into_iter().enumerate() {
        let key = format!("pi_{n}");
        let events = [
            paid(&format!("evt_p{n}"), &key, 2000, mid_july()),
            refunded(&format!("evt_r{n}"), &key, 300, mid_july()),
            refunded(&format!("evt_s{n}"), &key, 700, mid_july()),
            dispute_lost(&format!("evt_d{n}"), &key, 500, "USD"),
        ];
        for i in order.iter().flat_map(|&i| [i, i]) {
            record(s, &events[i]).await;
            let this_payment = raised(s, july()).await - done;
            assert!((0..=2000).contains(&this_payment), "{order:?}: {this_payment}");
        }
        assert_eq!(raised(s, july()).await - done, 800, "{order:?}");
        done += 800;
    }
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let rest: Vec<usize> = items.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, &x)| x).collect();
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            all.push(tail);
        }
    }
    all
}
