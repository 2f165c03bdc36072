//! Reading a staff list's page the way the tests assert on it: data- attributes, not words.

/// The first value of `attribute` on the page (`data-total`, `data-count`…).
pub fn data(body: &str, attribute: &str) -> Option<String> {
    let marker = format!("{attribute}=\"");
    let start = body.find(&marker)? + marker.len();
    body[start..].split('"').next().map(str::to_owned)
}

/// How many rows the list's filter and search match (`data-total`), as the number the test
/// compares it with.
pub fn list_total<N: std::str::FromStr>(page: &str) -> N {
    data(page, "data-total")
        .and_then(|n| n.parse().ok())
        .expect("a total")
}

/// The values of the data- attribute `name` of the rows of class `row_class`, in order.
pub fn row_attribute(page: &str, row_class: &str, name: &str) -> Vec<String> {
    page.split(&format!("<tr class=\"{row_class}\""))
        .skip(1)
        .filter_map(|row| row.split(&format!(" {name}=\"")).nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}
