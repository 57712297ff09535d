//! Conditions: whether a field is shown, or required, given the other answers. A condition on
//! a field that is itself hidden is false: hidden answers do not count.

use serde_json::{Map, Value};

use super::{Answers, Condition, ConditionValue, Field, FieldKind, FormDefinition, Test};

/// Whether a field of a step (not a child of a group: see [`is_visible_in_row`]) is shown
/// given the answers.
pub fn is_visible(form: &FormDefinition, field: &Field, answers: &Answers) -> bool {
    visible(form, field, answers, None, 0)
}

/// Whether a child of a repeating group is shown in one row (`row`: that row's answers).
pub fn is_visible_in_row(
    form: &FormDefinition,
    group: &Field,
    child: &Field,
    answers: &Answers,
    row: &Map<String, Value>,
) -> bool {
    visible(form, child, answers, Some((group, row)), 0)
}

/// Does the condition hold? The field it looks at must be shown and its answer must pass.
pub(super) fn holds(
    form: &FormDefinition,
    condition: &Condition,
    answers: &Answers,
    row: Option<(&Field, &Map<String, Value>)>,
    depth: usize,
) -> bool {
    // The loader refuses cycles; the depth bound only guards a definition built by hand.
    if depth > 64 {
        return false;
    }
    let (target, value) = match (row, condition.field.split_once('.')) {
        (Some((group, row)), Some((head, child))) if head == group.id => {
            let FieldKind::Group { fields, .. } = &group.kind else {
                return false;
            };
            let Some(target) = fields.iter().find(|f| f.id == child) else {
                return false;
            };
            if !visible(form, target, answers, Some((group, row)), depth + 1) {
                return false;
            }
            (target, row.get(child))
        }
        (_, Some(_)) => return false,
        (_, None) => {
            let Some((_, target)) = form.field(&condition.field) else {
                return false;
            };
            if !visible(form, target, answers, None, depth + 1) {
                return false;
            }
            (target, answers.get(&condition.field))
        }
    };
    test(&target.kind, &condition.test, value)
}

fn visible(
    form: &FormDefinition,
    field: &Field,
    answers: &Answers,
    row: Option<(&Field, &Map<String, Value>)>,
    depth: usize,
) -> bool {
    match &field.show_if {
        None => true,
        Some(condition) => holds(form, condition, answers, row, depth),
    }
}

/// Is a field required, given the answers (its own `required` or its `required_if`)?
pub(super) fn is_required(
    form: &FormDefinition,
    field: &Field,
    answers: &Answers,
    row: Option<(&Field, &Map<String, Value>)>,
) -> bool {
    field.required
        || field
            .required_if
            .as_ref()
            .is_some_and(|condition| holds(form, condition, answers, row, 0))
}

fn is_filled(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(map)) => !map.is_empty(),
        Some(_) => true,
    }
}

fn test(kind: &FieldKind, test: &Test, value: Option<&Value>) -> bool {
    match test {
        Test::Filled(wanted) => is_filled(value) == *wanted,
        Test::Equals(expected) => matches(kind, expected, value),
        Test::In(list) => list.iter().any(|expected| matches(kind, expected, value)),
    }
}

/// Compares a canonical answer with a condition value. A multiple choice matches when the
/// value is among those chosen.
fn matches(kind: &FieldKind, expected: &ConditionValue, value: Option<&Value>) -> bool {
    let Some(value) = value else {
        return false;
    };
    match (kind, expected, value) {
        (FieldKind::YesNo, ConditionValue::Bool(b), Value::Bool(v)) => b == v,
        (FieldKind::Choice { multiple: true, .. }, ConditionValue::Text(t), Value::Array(items)) => {
            items.iter().any(|item| item.as_str() == Some(t))
        }
        (_, ConditionValue::Text(t), Value::String(v)) => t == v,
        (_, ConditionValue::Number(n), Value::Number(v)) => v.as_i64() == Some(*n),
        _ => false,
    }
}
