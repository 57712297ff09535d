//! Validation of a step as it arrives and of a whole application before submission.

use jiff::civil::Date;
use serde_json::{Map, Value};

use super::conditions::{is_required, is_visible, is_visible_in_row};
use super::fields::{ADDRESS_PARTS, is_blank, parse_scalar};
use super::{Answers, Field, FieldKind, FieldProblem, FormDefinition, Step};

/// Row numbers above this in `gruppo.N.campo` names are ignored: no group is that long, and
/// a made-up name must not make us build a huge list.
const MAX_ROW_INDEX: usize = 200;

/// Turns HTML form pairs (`name=value`, repeated names for checkboxes, group rows named
/// `gruppo.0.campo`, address parts `residenza.cap`) into the raw JSON object of one step that
/// [`validate_step`] takes. Names that are no field of the step (the CSRF token) are left out.
pub fn step_input_from_pairs(step: &Step, pairs: &[(String, String)]) -> Map<String, Value> {
    let mut input = Map::new();
    for field in &step.fields {
        if let Some(value) = value_from_pairs(field, &field.id, pairs) {
            input.insert(field.id.clone(), value);
        }
    }
    input
}

fn value_from_pairs(field: &Field, name: &str, pairs: &[(String, String)]) -> Option<Value> {
    let named = |wanted: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == wanted)
            .map(|(_, v)| v.clone())
            .collect()
    };
    match &field.kind {
        FieldKind::Choice { multiple: true, .. } => {
            let values: Vec<Value> = named(name).into_iter().map(Value::from).collect();
            (!values.is_empty()).then_some(Value::Array(values))
        }
        FieldKind::Address => {
            let mut parts = Map::new();
            for part in ADDRESS_PARTS {
                if let Some(value) = named(&format!("{name}.{part}")).pop() {
                    parts.insert(part.to_owned(), Value::from(value));
                }
            }
            (!parts.is_empty()).then_some(Value::Object(parts))
        }
        FieldKind::Group { fields, .. } => {
            let prefix = format!("{name}.");
            let mut last_row = None;
            for (n, _) in pairs {
                let index = n
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|index| index.parse::<usize>().ok())
                    .filter(|index| *index <= MAX_ROW_INDEX);
                if let Some(index) = index {
                    last_row = Some(last_row.map_or(index, |last: usize| last.max(index)));
                }
            }
            let rows: Vec<Value> = (0..=last_row?)
                .map(|index| {
                    let mut row = Map::new();
                    for child in fields {
                        let child_name = format!("{name}.{index}.{}", child.id);
                        if let Some(value) = value_from_pairs(child, &child_name, pairs) {
                            row.insert(child.id.clone(), value);
                        }
                    }
                    Value::Object(row)
                })
                .collect();
            Some(Value::Array(rows))
        }
        _ => named(name).pop().map(Value::from),
    }
}

/// Validates one step's raw input (strings as typed, or JSON values from the API), given the
/// answers of the other steps and today's date. On success the canonical values of the
/// step's VISIBLE fields (hidden fields are dropped); on failure every problem of the step.
pub fn validate_step(
    form: &FormDefinition,
    step_index: usize,
    input: &Map<String, Value>,
    others: &Answers,
    today: Date,
) -> Result<Answers, Vec<FieldProblem>> {
    let Some(step) = form.steps.get(step_index) else {
        return Err(vec![FieldProblem::new("", "passo-non-valido")]);
    };
    // The answers conditions look at: the other steps, then this step's values that parse.
    let mut context = others.clone();
    for field in &step.fields {
        context.0.remove(&field.id);
    }
    let mut parsed = Vec::with_capacity(step.fields.len());
    for field in &step.fields {
        let raw = input.get(&field.id).unwrap_or(&Value::Null);
        let result = match &field.kind {
            // Groups wait for the context: their rows may look at this step's other fields.
            FieldKind::Group { .. } => Ok(None),
            kind => parse_scalar(kind, &field.id, raw, today),
        };
        if let Ok(Some(value)) = &result {
            context.0.insert(field.id.clone(), value.clone());
        }
        parsed.push(result);
    }
    for (field, result) in step.fields.iter().zip(parsed.iter_mut()) {
        if matches!(field.kind, FieldKind::Group { .. }) {
            let raw = input.get(&field.id).unwrap_or(&Value::Null);
            *result = parse_group(form, field, raw, &context, today);
            if let Ok(Some(value)) = result {
                context.0.insert(field.id.clone(), value.clone());
            }
        }
    }

    let mut problems = Vec::new();
    let mut out = Answers::default();
    for (field, result) in step.fields.iter().zip(parsed) {
        if !is_visible(form, field, &context) {
            continue;
        }
        match result {
            Err(mut found) => problems.append(&mut found),
            Ok(None) => {
                if is_required(form, field, &context, None) {
                    problems.push(FieldProblem::new(field.id.clone(), "campo-obbligatorio"));
                }
            }
            Ok(Some(value)) => {
                out.0.insert(field.id.clone(), value);
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The rows of a repeating group. Blank rows are dropped (a page shows spare empty rows);
/// problems name the row as it was sent (`familiari.2.nome`).
fn parse_group(
    form: &FormDefinition,
    group: &Field,
    raw: &Value,
    context: &Answers,
    today: Date,
) -> Result<Option<Value>, Vec<FieldProblem>> {
    let FieldKind::Group { fields, min, max } = &group.kind else {
        return Ok(None);
    };
    let rows: Vec<(usize, &Map<String, Value>)> = match raw {
        Value::Null => Vec::new(),
        Value::Array(items) => {
            let mut rows = Vec::new();
            for (index, item) in items.iter().enumerate() {
                match item {
                    Value::Object(row) if !is_blank(item) => rows.push((index, row)),
                    Value::Object(_) | Value::Null => {}
                    _ => {
                        return Err(vec![FieldProblem::new(
                            format!("{}.{index}", group.id),
                            "valore-non-valido",
                        )]);
                    }
                }
            }
            rows
        }
        _ => return Err(vec![FieldProblem::new(group.id.clone(), "valore-non-valido")]),
    };
    let min = if group.required { (*min).max(1) } else { *min };
    let mut problems = Vec::new();
    if rows.len() > *max {
        problems.push(FieldProblem::new(group.id.clone(), "gruppo-massimo").arg("massimo", max.to_string()));
    } else if !rows.is_empty() && rows.len() < min {
        problems.push(FieldProblem::new(group.id.clone(), "gruppo-minimo").arg("minimo", min.to_string()));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (index, row) in rows {
        // Children's conditions look at the row's canonical values: parse first.
        let mut values = Map::new();
        let mut parsed = Vec::with_capacity(fields.len());
        for child in fields {
            let path = format!("{}.{index}.{}", group.id, child.id);
            let raw = row.get(&child.id).unwrap_or(&Value::Null);
            let result = parse_scalar(&child.kind, &path, raw, today);
            if let Ok(Some(value)) = &result {
                values.insert(child.id.clone(), value.clone());
            }
            parsed.push((path, result));
        }
        let mut canonical = Map::new();
        for (child, (path, result)) in fields.iter().zip(parsed) {
            if !is_visible_in_row(form, group, child, context, &values) {
                continue;
            }
            match result {
                Err(mut found) => problems.append(&mut found),
                Ok(None) => {
                    if is_required(form, child, context, Some((group, &values))) {
                        problems.push(FieldProblem::new(path, "campo-obbligatorio"));
                    }
                }
                Ok(Some(value)) => {
                    canonical.insert(child.id.clone(), value);
                }
            }
        }
        out.push(Value::Object(canonical));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Re-checks a whole application before submission: every required visible field present and
/// valid, no answers for hidden fields or for fields the form does not have. Returns the
/// index of the first step with problems together with all problems (of every step; answers
/// for unknown fields count for the first step).
pub fn validate_all(
    form: &FormDefinition,
    answers: &Answers,
    today: Date,
) -> Result<(), (usize, Vec<FieldProblem>)> {
    let mut first = None;
    let mut problems = Vec::new();
    for key in answers.0.keys() {
        if !form.steps.iter().any(|s| s.fields.iter().any(|f| &f.id == key)) {
            problems.push(FieldProblem::new(key.clone(), "campo-non-previsto"));
            first = Some(0);
        }
    }
    for (index, step) in form.steps.iter().enumerate() {
        let input: Map<String, Value> = step
            .fields
            .iter()
            .filter_map(|f| answers.get(&f.id).map(|v| (f.id.clone(), v.clone())))
            .collect();
        let mut found = match validate_step(form, index, &input, answers, today) {
            Ok(valid) => input
                .iter()
                .filter(|(id, value)| valid.get(id) != Some(*value))
                .map(|(id, _)| {
                    if valid.get(id).is_some() {
                        // Stored values are canonical: a different value means the form changed.
                        FieldProblem::new(id.clone(), "valore-non-valido")
                    } else {
                        FieldProblem::new(id.clone(), "campo-non-previsto")
                    }
                })
                .collect(),
            Err(found) => found,
        };
        if !found.is_empty() {
            first.get_or_insert(index);
            problems.append(&mut found);
        }
    }
    match first {
        None => Ok(()),
        Some(index) => Err((index, problems)),
    }
}
