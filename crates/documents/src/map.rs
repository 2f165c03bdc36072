//! SVG maps of Colombian municipalities, drawn from the DANE MGN 2018 boundaries shipped in
//! `data/geo`: a project card (a few municipalities, zoomed to their departments) or a national
//! choropleth. The output is small (integer coordinates, relative path moves, simplified rings)
//! and accessible (`role="img"`, a title and description, one `<title>` per shaded municipality,
//! and a legend inside the drawing).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::Value;

const MUNICIPALITIES_FILE: &str = "colombia_municipios_mgn2018_simplified.geojson";
const DEPARTMENTS_FILE: &str = "colombia_departamentos_mgn2018_simplified.geojson";
const MUNICIPALITIES_GEOJSON: &str =
    include_str!("../../../data/geo/colombia_municipios_mgn2018_simplified.geojson");
const DEPARTMENTS_GEOJSON: &str =
    include_str!("../../../data/geo/colombia_departamentos_mgn2018_simplified.geojson");

/// Viridis in five steps, light to dark: readable with the common colour-vision deficiencies,
/// and the three darker classes reach at least 3:1 contrast against white.
pub const SEQUENTIAL: [&str; 5] = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];

/// The narrowest drawing accepted; below it the legend and outlines become unreadable.
pub const MIN_WIDTH: u32 = 200;

/// Blank space around the map and legend, in viewBox units.
const PADDING: f64 = 8.0;
/// Douglas–Peucker tolerance in viewBox units: below what a screen shows at the default size.
const SIMPLIFY_TOLERANCE: f64 = 0.6;
/// A tall frame (Chocó, a single department) is fitted to this height/width ratio instead of
/// the width, so that the map stays on one screen.
const MAX_ASPECT: f64 = 1.3;
const LEGEND_ROW: f64 = 20.0;
const LEGEND_SWATCH: f64 = 14.0;

/// One municipality to colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shade {
    /// 5-digit DANE code (`MPIO_CCNCT`), e.g. "18001".
    pub code: String,
    /// Index into [`MapSpec::legend`].
    pub class: usize,
    /// What a hover or a screen reader announces, e.g. "Florencia (Caquetá): 1st".
    pub label: String,
}

/// Which part of Colombia the drawing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// The whole country, San Andrés included, with every department outlined.
    Country,
    /// Only the departments holding a shaded municipality, with a small margin. With nothing
    /// to shade it falls back to [`Frame::Country`].
    Departments,
}

/// How to draw the map.
#[derive(Debug, Clone, Copy)]
pub struct MapSpec<'a> {
    /// Accessible name of the drawing.
    pub title: &'a str,
    /// Longer accessible description (what is shaded and why).
    pub description: &'a str,
    /// Legend entries: label and CSS colour, indexed by [`Shade::class`].
    pub legend: &'a [(&'a str, &'a str)],
    pub frame: Frame,
    /// Width of the viewBox; the height follows from the frame. At least [`MIN_WIDTH`].
    pub width: u32,
}

/// A drawing and the codes it could not place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMap {
    pub svg: String,
    /// Codes asked for that have no boundary (unknown or newer than MGN 2018), sorted and
    /// without duplicates.
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("municipality {code}: class {class} is not in the legend of {legend_len} entries")]
    ClassOutsideLegend {
        code: String,
        class: usize,
        legend_len: usize,
    },
    #[error("municipality {code} is shaded more than once")]
    DuplicateShade { code: String },
    #[error("map width {width} is below the minimum of {MIN_WIDTH}")]
    TooNarrow { width: u32 },
    #[error("embedded boundary file {file} is unusable: {reason}")]
    BrokenBoundaries { file: &'static str, reason: String },
}

/// A ring of (longitude, latitude) points, without the closing repetition of the first one.
type Ring = Vec<[f64; 2]>;

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min_lon: f64,
    max_lon: f64,
    min_lat: f64,
    max_lat: f64,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        min_lon: f64::INFINITY,
        max_lon: f64::NEG_INFINITY,
        min_lat: f64::INFINITY,
        max_lat: f64::NEG_INFINITY,
    };

    fn include_point(&mut self, [lon, lat]: [f64; 2]) {
        self.min_lon = self.min_lon.min(lon);
        self.max_lon = self.max_lon.max(lon);
        self.min_lat = self.min_lat.min(lat);
        self.max_lat = self.max_lat.max(lat);
    }

    fn include(&mut self, other: &Bounds) {
        self.min_lon = self.min_lon.min(other.min_lon);
        self.max_lon = self.max_lon.max(other.max_lon);
        self.min_lat = self.min_lat.min(other.min_lat);
        self.max_lat = self.max_lat.max(other.max_lat);
    }

    fn is_empty(&self) -> bool {
        self.min_lon > self.max_lon
    }
}

/// One boundary: all rings of all its polygons (holes included; drawn with even-odd filling).
#[derive(Debug)]
struct Shape {
    code: String,
    department: String,
    rings: Vec<Ring>,
    bounds: Bounds,
}

#[derive(Debug)]
struct Atlas {
    /// Sorted by code.
    municipalities: Vec<Shape>,
    /// Sorted by code.
    departments: Vec<Shape>,
}

impl Atlas {
    fn municipality(&self, code: &str) -> Option<&Shape> {
        let index = self
            .municipalities
            .binary_search_by(|shape| shape.code.as_str().cmp(code))
            .ok()?;
        self.municipalities.get(index)
    }
}

static ATLAS: LazyLock<Result<Atlas, MapError>> = LazyLock::new(|| {
    Ok(Atlas {
        municipalities: parse_shapes(MUNICIPALITIES_FILE, MUNICIPALITIES_GEOJSON, "MPIO_CCNCT")?,
        departments: parse_shapes(DEPARTMENTS_FILE, DEPARTMENTS_GEOJSON, "DPTO_CCDGO")?,
    })
});

fn parse_shapes(file: &'static str, text: &str, code_property: &str) -> Result<Vec<Shape>, MapError> {
    let broken = |reason: String| MapError::BrokenBoundaries { file, reason };
    let root: Value = serde_json::from_str(text).map_err(|error| broken(error.to_string()))?;
    let features = root["features"]
        .as_array()
        .ok_or_else(|| broken("no features array".into()))?;
    let mut shapes = Vec::with_capacity(features.len());
    for (index, feature) in features.iter().enumerate() {
        let properties = &feature["properties"];
        let text_property = |name: &str| {
            properties[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| broken(format!("feature {index} has no {name}")))
        };
        let code = text_property(code_property)?;
        let department = text_property("DPTO_CCDGO")?;
        let geometry = &feature["geometry"];
        let polygons = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .map(|polygons| polygons.iter().collect())
                .unwrap_or_default(),
            other => return Err(broken(format!("feature {code} has geometry type {other:?}"))),
        };
        let mut rings = Vec::new();
        let mut bounds = Bounds::EMPTY;
        for polygon in polygons {
            for ring in polygon.as_array().into_iter().flatten() {
                let mut points: Ring = ring
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|point| match (point[0].as_f64(), point[1].as_f64()) {
                        (Some(lon), Some(lat)) => Ok([lon, lat]),
                        _ => Err(broken(format!("feature {code} has a malformed point"))),
                    })
                    .collect::<Result<_, _>>()?;
                // GeoJSON repeats the first point at the end; the path's `z` closes it instead.
                if points.len() > 1 && points.first() == points.last() {
                    points.pop();
                }
                points.iter().for_each(|&point| bounds.include_point(point));
                rings.push(points);
            }
        }
        if bounds.is_empty() {
            return Err(broken(format!("feature {code} has no points")));
        }
        shapes.push(Shape {
            code,
            department,
            rings,
            bounds,
        });
    }
    shapes.sort_by(|a, b| a.code.cmp(&b.code));
    if let Some(pair) = shapes.windows(2).find(|pair| pair[0].code == pair[1].code) {
        return Err(broken(format!("code {} appears twice", pair[0].code)));
    }
    Ok(shapes)
}

/// Equirectangular projection fitted to the drawing: longitude shrunk by the cosine of the
/// frame's middle latitude so that shapes keep their proportions, y growing southwards.
struct Projection {
    min_lon: f64,
    max_lat: f64,
    x_scale: f64,
    y_scale: f64,
    x_offset: f64,
    y_offset: f64,
}

impl Projection {
    /// Fits `bounds` into `width` minus padding; returns the projection and the map's height
    /// (padding included).
    fn fit(bounds: &Bounds, width: f64) -> (Projection, f64) {
        let middle_latitude = ((bounds.min_lat + bounds.max_lat) / 2.0).to_radians();
        let lon_span = ((bounds.max_lon - bounds.min_lon) * middle_latitude.cos()).max(1e-9);
        let lat_span = (bounds.max_lat - bounds.min_lat).max(1e-9);
        let inner_width = width - 2.0 * PADDING;
        let max_inner_height = inner_width * MAX_ASPECT;
        let y_scale = (inner_width / lon_span).min(max_inner_height / lat_span);
        let drawn_width = lon_span * y_scale;
        let inner_height = (lat_span * y_scale).ceil();
        let projection = Projection {
            min_lon: bounds.min_lon,
            max_lat: bounds.max_lat,
            x_scale: y_scale * middle_latitude.cos(),
            y_scale,
            x_offset: PADDING + ((inner_width - drawn_width) / 2.0).max(0.0),
            y_offset: PADDING,
        };
        (projection, inner_height + 2.0 * PADDING)
    }

    fn project(&self, [lon, lat]: [f64; 2]) -> [f64; 2] {
        [
            self.x_offset + (lon - self.min_lon) * self.x_scale,
            self.y_offset + (self.max_lat - lat) * self.y_scale,
        ]
    }
}

/// Draws `shades` on a map framed and labelled by `spec`.
///
/// Codes without a boundary are listed in [`RenderedMap::missing`] rather than failing the
/// drawing; a class outside the legend, a code shaded twice or a too narrow width is an error.
/// The same input always gives the same bytes.
pub fn municipality_map(shades: &[Shade], spec: &MapSpec) -> Result<RenderedMap, MapError> {
    let atlas = ATLAS.as_ref().map_err(Clone::clone)?;
    if spec.width < MIN_WIDTH {
        return Err(MapError::TooNarrow { width: spec.width });
    }
    let mut seen = BTreeSet::new();
    let mut missing = BTreeSet::new();
    let mut shaded = Vec::with_capacity(shades.len());
    for shade in shades {
        let colour = spec
            .legend
            .get(shade.class)
            .map(|&(_, colour)| colour)
            .ok_or_else(|| MapError::ClassOutsideLegend {
                code: shade.code.clone(),
                class: shade.class,
                legend_len: spec.legend.len(),
            })?;
        if !seen.insert(shade.code.as_str()) {
            return Err(MapError::DuplicateShade {
                code: shade.code.clone(),
            });
        }
        match atlas.municipality(&shade.code) {
            Some(shape) => shaded.push((shade, colour, shape)),
            None => {
                missing.insert(shade.code.clone());
            }
        }
    }

    let frame = if shaded.is_empty() {
        Frame::Country
    } else {
        spec.frame
    };
    let involved_departments: BTreeSet<&str> = shaded
        .iter()
        .map(|(_, _, shape)| shape.department.as_str())
        .collect();
    let framed_departments: Vec<&Shape> = match frame {
        Frame::Country => atlas.departments.iter().collect(),
        Frame::Departments => atlas
            .departments
            .iter()
            .filter(|shape| involved_departments.contains(shape.code.as_str()))
            .collect(),
    };
    // Municipal and departmental boundaries were simplified separately and may disagree by a
    // little: the frame covers both so that nothing is drawn outside the viewBox.
    let mut bounds = Bounds::EMPTY;
    framed_departments
        .iter()
        .for_each(|shape| bounds.include(&shape.bounds));
    shaded
        .iter()
        .for_each(|(_, _, shape)| bounds.include(&shape.bounds));
    if frame == Frame::Country {
        atlas
            .municipalities
            .iter()
            .for_each(|shape| bounds.include(&shape.bounds));
    }

    let width = f64::from(spec.width);
    let (projection, map_height) = Projection::fit(&bounds, width);
    let legend_height = if spec.legend.is_empty() {
        0.0
    } else {
        spec.legend.len() as f64 * LEGEND_ROW
    };
    let height = map_height + legend_height;

    let id = element_id(spec, shades);
    let mut svg = String::with_capacity(64 * 1024);
    let mut path = PathWriter::default();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-t {id}-d" class="map" font-family="sans-serif" font-size="12">"#,
        spec.width, height
    );
    let _ = write!(
        svg,
        r#"<title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(spec.title),
        escape(spec.description)
    );

    // Department outlines are written once and used twice: filled beneath as context, and
    // stroked above so that borders stay visible between shaded municipalities.
    let _ = write!(svg, r#"<defs><path id="{id}-dp" d=""#);
    for department in &framed_departments {
        path.write_shape(&mut svg, &department.rings, &projection, false);
    }
    svg.push_str(r#""/></defs>"#);
    svg.push_str(r##"<g stroke-linejoin="round" fill-rule="evenodd"><g aria-hidden="true">"##);
    let _ = write!(svg, r##"<use href="#{id}-dp" fill="#eee"/>"##);
    if frame == Frame::Departments {
        // On a project card the unshaded municipalities of the same departments locate it.
        let shaded_codes: BTreeSet<&str> = shaded.iter().map(|(_, _, shape)| shape.code.as_str()).collect();
        svg.push_str(r##"<path fill="none" stroke="#ccc" stroke-width=".4" d=""##);
        let context = atlas.municipalities.iter().filter(|shape| {
            involved_departments.contains(shape.department.as_str())
                && !shaded_codes.contains(shape.code.as_str())
        });
        for municipality in context {
            path.write_shape(&mut svg, &municipality.rings, &projection, false);
        }
        svg.push_str(r#""/>"#);
    }
    svg.push_str("</g>");

    svg.push_str(r##"<g stroke="#fff" stroke-width=".4">"##);
    for (shade, colour, shape) in &shaded {
        let _ = write!(svg, r#"<path fill="{}" d=""#, escape(colour));
        path.write_shape(&mut svg, &shape.rings, &projection, true);
        let _ = write!(svg, r#""><title>{}</title></path>"#, escape(&shade.label));
    }
    svg.push_str("</g>");
    let _ = write!(
        svg,
        r##"<use href="#{id}-dp" fill="none" stroke="#777" stroke-width=".6" aria-hidden="true"/></g>"##
    );

    if !spec.legend.is_empty() {
        svg.push_str("<g>");
        for (row, (label, colour)) in spec.legend.iter().enumerate() {
            let top = map_height + row as f64 * LEGEND_ROW;
            let _ = write!(
                svg,
                r##"<rect x="{PADDING}" y="{top}" width="{LEGEND_SWATCH}" height="{LEGEND_SWATCH}" fill="{}" stroke="#666" stroke-width=".5"/><text x="{}" y="{}">{}</text>"##,
                escape(colour),
                PADDING + LEGEND_SWATCH + 6.0,
                top + LEGEND_SWATCH - 3.0,
                escape(label)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");

    Ok(RenderedMap {
        svg,
        missing: missing.into_iter().collect(),
    })
}

/// A prefix for the ids `aria-labelledby` points at, derived from the input (FNV-1a) so that
/// output stays deterministic while two different maps on one page do not share ids.
fn element_id(spec: &MapSpec, shades: &[Shade]) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for &byte in bytes.iter().chain(&[0xff]) {
            hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    };
    feed(spec.title.as_bytes());
    feed(spec.description.as_bytes());
    for shade in shades {
        feed(shade.code.as_bytes());
    }
    format!("map{hash:08x}")
}

/// Writes rings as compact path data, reusing its buffers between shapes.
#[derive(Default)]
struct PathWriter {
    projected: Vec<[f64; 2]>,
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    rounded: Vec<[i32; 2]>,
    number: itoa::Buffer,
}

impl PathWriter {
    /// Appends every ring that survives simplification. With `never_empty`, a shape whose rings
    /// all collapse (a small municipality on a national map) is drawn as a tiny diamond, so
    /// that it keeps its colour and its title.
    fn write_shape(&mut self, out: &mut String, rings: &[Ring], projection: &Projection, never_empty: bool) {
        let mut written = false;
        let mut largest_bounds = Bounds::EMPTY;
        let mut largest_len = 0;
        for ring in rings {
            self.projected.clear();
            self.projected
                .extend(ring.iter().map(|&point| projection.project(point)));
            if ring.len() > largest_len {
                largest_len = ring.len();
                largest_bounds = Bounds::EMPTY;
                self.projected
                    .iter()
                    .for_each(|&point| largest_bounds.include_point(point));
            }
            written |= self.write_ring(out);
        }
        if never_empty && !written && !largest_bounds.is_empty() {
            let x = ((largest_bounds.min_lon + largest_bounds.max_lon) / 2.0).round() as i32;
            let y = ((largest_bounds.min_lat + largest_bounds.max_lat) / 2.0).round() as i32;
            self.rounded.clear();
            self.rounded
                .extend([[x, y - 1], [x + 1, y], [x, y + 1], [x - 1, y]]);
            self.write_rounded(out);
        }
    }

    /// Simplifies `self.projected`, rounds it to integers and writes it; false when the ring
    /// collapsed below three distinct points.
    fn write_ring(&mut self, out: &mut String) -> bool {
        let points = &self.projected;
        if points.len() < 3 {
            return false;
        }
        self.keep.clear();
        self.keep.resize(points.len(), false);
        // Closed ring: the far end of the first segment is the first point again.
        let last = points.len();
        self.keep[0] = true;
        self.stack.clear();
        self.stack.push((0, last));
        while let Some((start, end)) = self.stack.pop() {
            let a = points[start];
            let b = points[end % points.len()];
            let mut farthest = (0.0, start);
            for (index, &point) in points.iter().enumerate().take(end).skip(start + 1) {
                let distance = segment_distance(point, a, b);
                if distance > farthest.0 {
                    farthest = (distance, index);
                }
            }
            if farthest.0 > SIMPLIFY_TOLERANCE {
                self.keep[farthest.1] = true;
                self.stack.push((farthest.1, end));
                self.stack.push((start, farthest.1));
            }
        }
        self.rounded.clear();
        for (point, _) in points.iter().zip(&self.keep).filter(|&(_, &keep)| keep) {
            let rounded = [point[0].round() as i32, point[1].round() as i32];
            if self.rounded.last() != Some(&rounded) {
                self.rounded.push(rounded);
            }
        }
        if self.rounded.len() > 1 && self.rounded.first() == self.rounded.last() {
            self.rounded.pop();
        }
        if self.rounded.len() < 3 {
            return false;
        }
        self.write_rounded(out);
        true
    }

    /// `M x y l dx dy … z`, with a separator only where the next number has no minus sign.
    fn write_rounded(&mut self, out: &mut String) {
        let Some((&[x, y], rest)) = self.rounded.split_first() else {
            return;
        };
        out.push('M');
        out.push_str(self.number.format(x));
        out.push(' ');
        out.push_str(self.number.format(y));
        out.push('l');
        let mut previous = [x, y];
        for (index, &[x, y]) in rest.iter().enumerate() {
            for (position, delta) in [x - previous[0], y - previous[1]].into_iter().enumerate() {
                if delta >= 0 && (index > 0 || position > 0) {
                    out.push(' ');
                }
                out.push_str(self.number.format(delta));
            }
            previous = [x, y];
        }
        out.push('z');
    }
}

/// Distance from `point` to the segment `a`–`b` (to `a` itself when the segment is a point).
fn segment_distance(point: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared == 0.0 {
        0.0
    } else {
        (((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / length_squared).clamp(0.0, 1.0)
    };
    let (px, py) = (a[0] + t * dx - point[0], a[1] + t * dy - point[1]);
    (px * px + py * py).sqrt()
}

/// Escapes text for XML content and double-quoted attributes; control characters XML forbids
/// become spaces.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            control if control.is_control() && u32::from(control) < 0x20 => escaped.push(' '),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT_CODES: [&str; 26] = [
        "18001", "18029", "18094", "18150", "18205", "18247", "18256", "18410", "18460", "18479", "18592",
        "18610", "18753", "18756", "18785", "18860", "52835", "86001", "86320", "86568", "86569", "86571",
        "86573", "86757", "86865", "86885",
    ];

    fn legend() -> Vec<(&'static str, &'static str)> {
        let labels = ["1st–5th", "6th–10th", "11th–15th", "16th–20th", "21st and below"];
        labels.into_iter().zip(SEQUENTIAL).collect()
    }

    fn spec<'a>(legend: &'a [(&'a str, &'a str)], frame: Frame) -> MapSpec<'a> {
        MapSpec {
            title: "Project municipalities",
            description: "Ranked by priority",
            legend,
            frame,
            width: 600,
        }
    }

    fn shade(code: &str, class: usize) -> Shade {
        Shade {
            code: code.to_owned(),
            class,
            label: format!("{code}: rank"),
        }
    }

    fn project_shades() -> Vec<Shade> {
        PROJECT_CODES
            .iter()
            .enumerate()
            .map(|(index, code)| shade(code, index % 5))
            .collect()
    }

    fn country_shades() -> Vec<Shade> {
        let atlas = ATLAS.as_ref().expect("embedded boundaries parse");
        atlas
            .municipalities
            .iter()
            .enumerate()
            .map(|(index, shape)| shade(&shape.code, index % 5))
            .collect()
    }

    /// Tags open and close in order, and text holds no bare `<` or `&`.
    fn assert_well_formed(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find(['<', '&']) {
            let text = &rest[start..];
            if let Some(entity) = text.strip_prefix('&') {
                let end = entity.find(';').expect("entity ends with ;");
                assert!(
                    ["amp", "lt", "gt", "quot"].contains(&&entity[..end]),
                    "bare & in {text:.40}"
                );
                rest = &entity[end..];
                continue;
            }
            let end = text.find('>').expect("tag closes");
            let tag = &text[1..end];
            assert!(!tag.contains('<'), "< inside tag {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing tag {name}");
            } else if !tag.ends_with('/') {
                open.push(tag.split([' ', '/']).next().unwrap_or(tag));
            }
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in {tag}");
            rest = &text[end + 1..];
        }
        assert!(open.is_empty(), "unclosed {open:?}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    fn view_box(svg: &str) -> (i64, i64) {
        let start = svg.find("viewBox=\"0 0 ").expect("viewBox") + "viewBox=\"0 0 ".len();
        let mut numbers = svg[start..]
            .split(['"', ' '])
            .map(|n| n.parse::<i64>().expect("integer"));
        (numbers.next().expect("width"), numbers.next().expect("height"))
    }

    /// Absolute points of every path, following the `M`/`l` moves.
    fn path_points(svg: &str) -> Vec<(i64, i64)> {
        let mut points = Vec::new();
        for data in svg
            .split(" d=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').expect("d closes")])
        {
            for ring in data.split('M').filter(|ring| !ring.is_empty()) {
                let ring = ring.strip_suffix('z').expect("ring closed");
                let (start, moves) = ring.split_once('l').expect("relative moves");
                let numbers = |text: &str| -> Vec<i64> {
                    text.replace('-', " -")
                        .split_whitespace()
                        .map(|n| n.parse().expect("integer"))
                        .collect()
                };
                let start = numbers(start);
                let (mut x, mut y) = (start[0], start[1]);
                points.push((x, y));
                for delta in numbers(moves).chunks(2) {
                    x += delta[0];
                    y += delta[1];
                    points.push((x, y));
                }
            }
        }
        points
    }

    #[test]
    fn project_map_fits_the_phone_budget() {
        let legend = legend();
        let map = municipality_map(&project_shades(), &spec(&legend, Frame::Departments)).expect("renders");
        assert!(map.missing.is_empty(), "{:?}", map.missing);
        assert!(map.svg.len() < 40 * 1024, "{} bytes", map.svg.len());
    }

    #[test]
    fn country_map_fits_the_national_budget() {
        let legend = legend();
        let shades = country_shades();
        assert_eq!(shades.len(), 1122);
        let map = municipality_map(&shades, &spec(&legend, Frame::Country)).expect("renders");
        assert!(map.missing.is_empty());
        assert!(map.svg.len() < 350 * 1024, "{} bytes", map.svg.len());
        assert_eq!(
            map.svg.matches("<title>").count(),
            1122,
            "every municipality keeps a path"
        );
        assert_well_formed(&map.svg);
    }

    #[test]
    fn each_shaded_municipality_is_one_titled_path() {
        let legend = legend();
        let map = municipality_map(&project_shades(), &spec(&legend, Frame::Departments)).expect("renders");
        assert_eq!(map.svg.matches("</title></path>").count(), PROJECT_CODES.len());
        for code in PROJECT_CODES {
            let title = format!("<title>{code}: rank</title></path>");
            assert_eq!(map.svg.matches(&title).count(), 1, "{code}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let legend = legend();
        let spec = spec(&legend, Frame::Departments);
        let first = municipality_map(&project_shades(), &spec).expect("renders");
        let second = municipality_map(&project_shades(), &spec).expect("renders");
        assert_eq!(first, second);
    }

    #[test]
    fn codes_without_shape_are_reported_missing() {
        let legend = legend();
        let shades = [shade("99999", 0), shade("18001", 1), shade("27493", 2)];
        let map = municipality_map(&shades, &spec(&legend, Frame::Departments)).expect("renders");
        assert_eq!(map.missing, ["27493", "99999"]);
        assert_eq!(map.svg.matches("</title></path>").count(), 1);
    }

    #[test]
    fn only_missing_codes_fall_back_to_the_country() {
        let legend = legend();
        let map =
            municipality_map(&[shade("27493", 0)], &spec(&legend, Frame::Departments)).expect("renders");
        assert_eq!(map.missing, ["27493"]);
        assert_well_formed(&map.svg);
    }

    #[test]
    fn class_outside_legend_names_the_code() {
        let legend = legend();
        let error = municipality_map(
            &[shade("18001", 0), shade("18029", 5)],
            &spec(&legend, Frame::Country),
        )
        .expect_err("class 5 of 5");
        assert_eq!(
            error,
            MapError::ClassOutsideLegend {
                code: "18029".into(),
                class: 5,
                legend_len: 5
            }
        );
        assert!(error.to_string().contains("18029") && error.to_string().contains("class 5"));
    }

    #[test]
    fn duplicate_shade_and_narrow_width_are_errors() {
        let legend = legend();
        let twice = [shade("18001", 0), shade("18001", 1)];
        let error = municipality_map(&twice, &spec(&legend, Frame::Country)).expect_err("twice");
        assert_eq!(error, MapError::DuplicateShade { code: "18001".into() });
        let narrow = MapSpec {
            width: 50,
            ..spec(&legend, Frame::Country)
        };
        assert_eq!(
            municipality_map(&[], &narrow),
            Err(MapError::TooNarrow { width: 50 })
        );
    }

    #[test]
    fn path_points_stay_inside_the_view_box() {
        let legend = legend();
        for (shades, frame) in [
            (project_shades(), Frame::Departments),
            (country_shades(), Frame::Country),
        ] {
            let map = municipality_map(&shades, &spec(&legend, frame)).expect("renders");
            let (width, height) = view_box(&map.svg);
            let points = path_points(&map.svg);
            assert!(points.len() > 200);
            for (x, y) in points {
                assert!(
                    (0..=width).contains(&x) && (0..=height).contains(&y),
                    "({x}, {y}) in {width}×{height}"
                );
            }
        }
    }

    #[test]
    fn text_is_escaped_and_the_svg_well_formed() {
        let legend = [("<low & \"high\">", SEQUENTIAL[0])];
        let spec = MapSpec {
            title: "Tom & Jerry <map>",
            description: "a \"quoted\" > description",
            legend: &legend,
            frame: Frame::Departments,
            width: 600,
        };
        let shades = [Shade {
            code: "18001".into(),
            class: 0,
            label: "Florencia <&> \"1st\"".into(),
        }];
        let map = municipality_map(&shades, &spec).expect("renders");
        assert!(
            map.svg
                .contains("<title>Florencia &lt;&amp;&gt; &quot;1st&quot;</title>")
        );
        assert!(map.svg.contains("Tom &amp; Jerry &lt;map&gt;"));
        assert!(map.svg.contains("&lt;low &amp; &quot;high&quot;&gt;</text>"));
        assert!(!map.svg.contains("<&>"));
        assert_well_formed(&map.svg);
    }

    #[test]
    fn svg_is_accessible_and_scales() {
        let legend = legend();
        let map = municipality_map(&project_shades(), &spec(&legend, Frame::Departments)).expect("renders");
        let svg = &map.svg;
        assert!(svg.contains(r#"role="img""#));
        let labelled_by = svg.split("aria-labelledby=\"").nth(1).expect("aria-labelledby");
        for id in labelled_by[..labelled_by.find('"').expect("closes")].split(' ') {
            assert_eq!(svg.matches(&format!(r#"id="{id}""#)).count(), 1, "{id}");
        }
        // Scaled by the stylesheet's `svg.map`: no inline style, which the pages' policy forbids.
        assert!(svg.contains("class=\"map\"") && !svg.contains("style=") && !svg.contains(" width=\"600\""));
        assert_eq!(svg.matches("<rect").count(), legend.len());
        assert_well_formed(svg);
    }

    #[test]
    fn darker_classes_contrast_with_white() {
        fn luminance(hex: &str) -> f64 {
            let channel = |at: usize| {
                let value = f64::from(u8::from_str_radix(&hex[at..at + 2], 16).expect("hex")) / 255.0;
                if value <= 0.04045 {
                    value / 12.92
                } else {
                    ((value + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        }
        let contrasts: Vec<f64> = SEQUENTIAL
            .iter()
            .map(|colour| 1.05 / (luminance(colour) + 0.05))
            .collect();
        assert!(
            contrasts.windows(2).all(|pair| pair[0] < pair[1]),
            "light to dark: {contrasts:?}"
        );
        assert!(
            contrasts[2..].iter().all(|&contrast| contrast >= 3.0),
            "{contrasts:?}"
        );
    }
}
