//! Small SVG charts drawn on the server: no script, a title and a text alternative each.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One bar: its label, its value and the value as the page writes it.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub shown: String,
}

/// Escapes text for XML and HTML.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A horizontal bar chart; bars scale to the largest value. The description lists every
/// bar, so a screen reader hears the same figures.
pub fn horizontal_bars(id: &str, title: &str, bars: &[Bar]) -> String {
    const WIDTH: f64 = 600.0;
    const LABEL: f64 = 210.0;
    const ROW: f64 = 26.0;
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let largest = bars
        .iter()
        .map(|b| b.value)
        .max()
        .filter(|m| *m > Decimal::ZERO)
        .unwrap_or(Decimal::ONE);
    let description = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.shown))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = format!(
        r#"<svg id="{id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(&description)
    );
    for (row, bar) in bars.iter().enumerate() {
        let y = 4.0 + row as f64 * ROW;
        let share = (bar.value.max(Decimal::ZERO) / largest).to_f64().unwrap_or(0.0);
        let length = ((WIDTH - LABEL - 90.0) * share).max(1.0);
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="end" font-size="13">{}</text><rect x="{LABEL}" y="{:.0}" width="{length:.0}" height="18" fill="#1f4e8c"/><text x="{:.0}" y="{:.0}" font-size="13">{}</text>"##,
            LABEL - 6.0,
            y + 14.0,
            escape(&truncate(&bar.label, 30)),
            y,
            LABEL + length + 6.0,
            y + 14.0,
            escape(&bar.shown)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(chars - 1).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_describe_every_value() {
        let bars = [
            Bar {
                label: "Caquetá".into(),
                value: Decimal::from(78),
                shown: "78 ha".into(),
            },
            Bar {
                label: "Nariño <costa>".into(),
                value: Decimal::from(39),
                shown: "39 ha".into(),
            },
        ];
        let svg = horizontal_bars("c", "Hectáreas", &bars);
        assert!(svg.contains("width=\"300\""), "{svg}");
        assert!(svg.contains("width=\"150\""), "{svg}");
        assert!(svg.contains("Caquetá: 78 ha; Nariño &lt;costa&gt;: 39 ha"));
    }
}
