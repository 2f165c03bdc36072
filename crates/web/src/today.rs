//! Today in Colombia, the date deadlines, measurements and statuses are read on.

pub use vereda_store::projects::today_in_colombia;
