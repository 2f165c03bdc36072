//! Results frameworks: objectives, indicators and their advance.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::text_enum::text_enum;

text_enum! {
    /// The unit an indicator is measured in.
    pub enum IndicatorUnit ("indicator unit") {
        Number = "number",
        Kilometres = "km",
        Hectares = "ha",
        Percent = "%",
        Cop = "COP",
        Eur = "EUR",
    }
}

text_enum! {
    /// Where a project or an indicator stands.
    pub enum ExecutionStatus ("execution status") {
        Planned = "planned",
        InExecution = "in_execution",
        Achieved = "achieved",
        Closed = "closed",
    }
}

text_enum! {
    /// A measurement counts only once an officer approves it.
    pub enum MeasurementStatus ("measurement status") {
        Submitted = "submitted",
        Approved = "approved",
        Returned = "returned",
    }
}

text_enum! {
    /// The part a partner plays in a project.
    pub enum PartnerRole ("partner role") {
        AdvocatePartner = "advocate_partner",
        LocalPartner = "local_partner",
        Funder = "funder",
    }
}

/// Advance = floor(100 × current / goal), in whole percent; none without a positive goal.
pub fn advance_percent(current: Decimal, goal: Decimal) -> Option<u32> {
    if goal <= Decimal::ZERO {
        return None;
    }
    let ratio = (current * Decimal::ONE_HUNDRED / goal).floor();
    ratio.max(Decimal::ZERO).to_u32()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn advance_matches_the_project_card() {
        assert_eq!(advance_percent(dec!(1), dec!(3)), Some(33));
        assert_eq!(advance_percent(dec!(239), dec!(500)), Some(47));
        assert_eq!(advance_percent(dec!(224), dec!(500)), Some(44));
        assert_eq!(advance_percent(dec!(1), dec!(8)), Some(12));
        assert_eq!(advance_percent(dec!(13.2), dec!(94)), Some(14));
        assert_eq!(advance_percent(dec!(0), dec!(450)), Some(0));
    }

    #[test]
    fn advance_needs_a_positive_goal_and_may_pass_100() {
        assert_eq!(advance_percent(dec!(1), dec!(0)), None);
        assert_eq!(advance_percent(dec!(12), dec!(8)), Some(150));
    }
}
