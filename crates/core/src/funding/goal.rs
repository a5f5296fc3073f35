//! The month's fundraising goal and the progress toward it that every page shows.

use crate::funding::money::Money;
use crate::funding::month::Month;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub month: Month,
    pub amount: Money,
    /// Marks on the bar, in the goal's minor units, ascending; by default 0, half, the goal.
    pub milestones: Vec<i64>,
    /// An optional sentence shown with the bar ("Help us keep the newsroom open").
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    #[error("goal: must be greater than zero")]
    NotPositive,
    #[error("milestones: each must be between 0 and the goal")]
    MilestoneOutOfRange,
}

/// 0, half the goal, the goal.
pub fn default_milestones(goal_minor: i64) -> Vec<i64> {
    let mut milestones = vec![0, goal_minor / 2, goal_minor];
    // A goal of one cent has no distinct half.
    milestones.dedup();
    milestones
}

impl Goal {
    /// Checks the amount and milestones; sorts and deduplicates the milestones, and uses
    /// the defaults when none are given.
    pub fn new(
        month: Month,
        amount: Money,
        milestones: Vec<i64>,
        text: Option<String>,
    ) -> Result<Goal, GoalError> {
        if amount.minor <= 0 {
            return Err(GoalError::NotPositive);
        }
        if milestones.iter().any(|m| !(0..=amount.minor).contains(m)) {
            return Err(GoalError::MilestoneOutOfRange);
        }
        let mut milestones =
            if milestones.is_empty() { default_milestones(amount.minor) } else { milestones };
        milestones.sort_unstable();
        milestones.dedup();
        Ok(Goal { month, amount, milestones, text })
    }
}

/// A mark on the bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub amount: Money,
    /// Where it sits on the bar, 0 to 100.
    pub position_percent: u32,
    pub reached: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub goal: Goal,
    /// Raised this month in the goal's currency (donations in other currencies are not counted).
    pub raised: Money,
    /// The whole truth, rounded down: may exceed 100 when the goal is passed (a goal of one
    /// cent and an absurd total give a huge number, never a wrapped or negative one).
    pub percent: u64,
    /// The filled part of the bar: `percent` clamped to 0..=100, the bar's width.
    pub bar_percent: u32,
    pub milestones: Vec<Milestone>,
}

/// Progress of `raised_minor` (in the goal's currency) toward the goal. A net negative
/// month (more refunded than given) shows as zero.
pub fn progress(goal: &Goal, raised_minor: i64) -> Progress {
    let raised_minor = raised_minor.max(0);
    let percent = percent_of(raised_minor, goal.amount.minor);
    let milestones = goal
        .milestones
        .iter()
        .map(|&m| Milestone {
            amount: Money::new(m, goal.amount.currency),
            position_percent: bar_width(percent_of(m, goal.amount.minor)),
            reached: raised_minor >= m,
        })
        .collect();
    Progress {
        goal: goal.clone(),
        raised: Money::new(raised_minor, goal.amount.currency),
        percent,
        bar_percent: bar_width(percent),
        milestones,
    }
}

impl Progress {
    /// For people: "312% of the goal", with thousands grouped ("12,345% of the goal").
    /// Past u64 (a goal under 50 minor units and a total near i64::MAX) it says "more than".
    pub fn percent_text(&self) -> String {
        let more = if self.percent == u64::MAX { "more than " } else { "" };
        format!("{more}{}% of the goal", crate::funding::money::group_thousands(self.percent))
    }
}

fn bar_width(percent: u64) -> u32 {
    // At most 100, so the conversion cannot fail.
    u32::try_from(percent.min(100)).unwrap_or(100)
}

/// `part` as a whole percentage of `whole`, rounded down; 0 when either is not positive
/// (a goal of zero can only come from a `Goal` built by hand, and must not divide by zero).
fn percent_of(part: i64, whole: i64) -> u64 {
    if part <= 0 || whole <= 0 {
        return 0;
    }
    // In i128, a hundred times any i64 fits; the quotient passes u64 only for a goal under
    // 50 minor units and a total near i64::MAX, and then saturates rather than wraps.
    u64::try_from(i128::from(part) * 100 / i128::from(whole)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::money::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    fn july() -> Month {
        Month { year: 2020, month: 7 }
    }

    fn goal(minor: i64, milestones: Vec<i64>) -> Goal {
        Goal::new(july(), usd(minor), milestones, None).unwrap()
    }

    fn positions(p: &Progress) -> Vec<(i64, u32, bool)> {
        p.milestones.iter().map(|m| (m.amount.minor, m.position_percent, m.reached)).collect()
    }

    #[test]
    fn default_milestones_are_zero_half_and_the_goal() {
        assert_eq!(default_milestones(500000), vec![0, 250000, 500000]);
        assert_eq!(default_milestones(5), vec![0, 2, 5]);
        assert_eq!(default_milestones(2), vec![0, 1, 2]);
        assert_eq!(default_milestones(1), vec![0, 1]);
    }

    #[test]
    fn new_uses_the_defaults_when_no_milestones_are_given() {
        let g = Goal::new(july(), usd(500000), vec![], Some("Keep the newsroom open".into())).unwrap();
        assert_eq!(g.milestones, vec![0, 250000, 500000]);
        assert_eq!(g.month, july());
        assert_eq!(g.amount, usd(500000));
        assert_eq!(g.text.as_deref(), Some("Keep the newsroom open"));
        assert_eq!(goal(1, vec![]).milestones, vec![0, 1]);
    }

    #[test]
    fn new_sorts_and_deduplicates_milestones() {
        assert_eq!(goal(1000, vec![750, 250, 750, 0, 1000, 250]).milestones, vec![0, 250, 750, 1000]);
        // Given milestones replace the defaults entirely.
        assert_eq!(goal(1000, vec![300]).milestones, vec![300]);
    }

    #[test]
    fn new_accepts_milestones_at_both_ends() {
        assert_eq!(goal(1000, vec![1000, 0]).milestones, vec![0, 1000]);
    }

    #[test]
    fn new_refuses_a_goal_that_is_not_positive() {
        assert_eq!(Goal::new(july(), usd(0), vec![], None), Err(GoalError::NotPositive));
        assert_eq!(Goal::new(july(), usd(-500), vec![], None), Err(GoalError::NotPositive));
    }

    #[test]
    fn new_refuses_milestones_outside_the_goal() {
        for milestones in [vec![-1], vec![0, 1001], vec![500, i64::MAX], vec![i64::MIN]] {
            assert_eq!(
                Goal::new(july(), usd(1000), milestones.clone(), None),
                Err(GoalError::MilestoneOutOfRange),
                "{milestones:?}"
            );
        }
    }

    #[test]
    fn progress_partway() {
        let g = goal(500000, vec![]);
        let p = progress(&g, 123456);
        assert_eq!(p.goal, g);
        assert_eq!(p.raised, usd(123456));
        assert_eq!(p.percent, 24);
        assert_eq!(p.bar_percent, 24);
        assert_eq!(positions(&p), vec![(0, 0, true), (250000, 50, false), (500000, 100, false)]);
        assert_eq!(p.milestones[1].amount, usd(250000));
    }

    #[test]
    fn progress_rounds_down() {
        let g = goal(300, vec![]);
        assert_eq!(progress(&g, 299).percent, 99);
        assert_eq!(progress(&g, 2).percent, 0);
        assert_eq!(progress(&g, 3).percent, 1);
        assert_eq!(positions(&progress(&g, 0)), vec![(0, 0, true), (150, 50, false), (300, 100, false)]);
        assert_eq!(
            positions(&progress(&goal(300, vec![100, 200]), 0))[..],
            [(100, 33, false), (200, 66, false)]
        );
    }

    #[test]
    fn progress_reaches_milestones_exactly_at_their_amount() {
        let g = goal(1000, vec![]);
        assert_eq!(positions(&progress(&g, 499)), vec![(0, 0, true), (500, 50, false), (1000, 100, false)]);
        assert_eq!(positions(&progress(&g, 500)), vec![(0, 0, true), (500, 50, true), (1000, 100, false)]);
        let p = progress(&g, 1000);
        assert_eq!((p.percent, p.bar_percent), (100, 100));
        assert!(p.milestones.iter().all(|m| m.reached));
    }

    #[test]
    fn progress_beyond_the_goal_caps_only_the_bar() {
        let p = progress(&goal(1000, vec![]), 2550);
        assert_eq!(p.percent, 255);
        assert_eq!(p.bar_percent, 100);
        assert_eq!(p.percent_text(), "255% of the goal");
        assert!(p.milestones.iter().all(|m| m.reached));
    }

    #[test]
    fn progress_of_a_net_negative_month_shows_zero() {
        let p = progress(&goal(1000, vec![]), -300);
        assert_eq!(p.raised, usd(0));
        assert_eq!((p.percent, p.bar_percent), (0, 0));
        assert_eq!(positions(&p), vec![(0, 0, true), (500, 50, false), (1000, 100, false)]);
    }

    #[test]
    fn progress_does_not_overflow() {
        let p = progress(&goal(1, vec![]), i64::MAX);
        assert_eq!((p.percent, p.bar_percent), (u64::MAX, 100));
        assert_eq!(p.percent_text(), "more than 18,446,744,073,709,551,615% of the goal");
        // The typo that once showed 4294967295%: $42,949,672.96 against a $1 goal.
        let p = progress(&goal(100, vec![]), 4_294_967_296);
        assert_eq!((p.percent, p.bar_percent), (4_294_967_296, 100));
        assert_eq!(p.percent_text(), "4,294,967,296% of the goal");
        let p = progress(&goal(1000, vec![]), i64::MAX);
        assert_eq!(p.percent, 922_337_203_685_477_580);
        assert_eq!(p.percent_text(), "922,337,203,685,477,580% of the goal");
        let p = progress(&goal(i64::MAX, vec![]), i64::MAX / 2);
        assert_eq!(p.percent, 49);
        assert_eq!(positions(&p)[1], (i64::MAX / 2, 49, true));
        assert_eq!(progress(&goal(1000, vec![]), i64::MIN).percent, 0);
    }

    #[test]
    fn progress_of_a_hand_built_goal_does_not_panic() {
        // Bypassing `Goal::new`: a zero goal and a milestone past it.
        let g = Goal { month: july(), amount: usd(0), milestones: vec![0, 50], text: None };
        let p = progress(&g, 10);
        assert_eq!((p.percent, p.bar_percent), (0, 0));
        assert_eq!(progress(&g, i64::MAX).percent_text(), "0% of the goal");
        let g = Goal { month: july(), amount: usd(100), milestones: vec![200], text: None };
        assert_eq!(progress(&g, 10).milestones[0].position_percent, 100);
    }
}
