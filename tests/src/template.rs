//! Reads `infra/template.yaml`, so tests build exactly the table and queues the stack deploys.
//!
//! CloudFormation's short intrinsics (`!Ref`, `!Sub`, `!GetAtt`) arrive as YAML tags; [`Resolver`] turns the
//! properties of a resource into plain JSON for one test stack, and refuses anything it does not understand, so a
//! template change the harness cannot follow fails loudly instead of being skipped.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value as Json;
use serde_yaml_ng::Value as Yaml;

pub struct Template {
    root: Yaml,
}

impl Template {
    pub fn path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
    }

    pub fn load() -> Result<Self> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self> {
        let root: Yaml = serde_yaml_ng::from_str(text).context("infra/template.yaml is not valid YAML")?;
        Ok(Self { root })
    }

    /// `(logical id, resource)` of every resource of a CloudFormation type, in template order.
    pub fn resources_of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Yaml)> + 'a {
        self.root
            .get("Resources")
            .and_then(Yaml::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(move |(_, r)| r.get("Type").and_then(Yaml::as_str) == Some(kind))
            .filter_map(|(id, r)| Some((id.as_str()?, r)))
    }

    pub fn resource(&self, logical_id: &str) -> Result<&Yaml> {
        self.root
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .ok_or_else(|| anyhow!("the template has no resource {logical_id}"))
    }

    /// A property of a resource, falling back to `Globals.Function` for serverless functions.
    pub fn function_property(&self, logical_id: &str, name: &str) -> Result<&Yaml> {
        let resource = self.resource(logical_id)?;
        resource
            .get("Properties")
            .and_then(|p| p.get(name))
            .or_else(|| self.root.get("Globals")?.get("Function")?.get(name))
            .ok_or_else(|| anyhow!("{logical_id} has no property {name}, neither in Globals"))
    }

    pub fn parameter_default(&self, name: &str) -> Option<&Yaml> {
        self.root.get("Parameters")?.get(name)?.get("Default")
    }
}

/// Resolves intrinsic functions for one test stack.
pub struct Resolver<'a> {
    pub template: &'a Template,
    pub stack_name: String,
    pub region: String,
    pub account_id: String,
    /// `Ref` of already created resources (a queue's URL, a table's name).
    pub refs: HashMap<String, String>,
    /// `GetAtt` of already created resources, keyed `LogicalId.Attribute`.
    pub attributes: HashMap<String, String>,
}

/// An intrinsic that refers to a resource not created yet: the caller creates it first.
#[derive(Debug)]
pub struct NotYet(pub String);

impl std::fmt::Display for NotYet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not created yet", self.0)
    }
}

impl std::error::Error for NotYet {}

impl Resolver<'_> {
    pub fn resolve(&self, value: &Yaml) -> Result<Json> {
        Ok(match value {
            Yaml::Null => Json::Null,
            Yaml::Bool(b) => Json::Bool(*b),
            Yaml::Number(n) => serde_json::to_value(n)?,
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Sequence(items) => Json::Array(items.iter().map(|v| self.resolve(v)).collect::<Result<_>>()?),
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                self.intrinsic(tag.trim_start_matches('!'), &tagged.value)?
            }
            Yaml::Mapping(map) => {
                if map.len() == 1 {
                    let (key, inner) = map.iter().next().expect("one entry");
                    if let Some(name) = key
                        .as_str()
                        .and_then(|k| k.strip_prefix("Fn::").or((k == "Ref").then_some(k)))
                    {
                        return self.intrinsic(name, inner);
                    }
                }
                let mut object = serde_json::Map::new();
                for (k, v) in map {
                    let key = k.as_str().ok_or_else(|| anyhow!("non-text key {k:?}"))?;
                    object.insert(key.to_owned(), self.resolve(v)?);
                }
                Json::Object(object)
            }
        })
    }

    fn intrinsic(&self, name: &str, arg: &Yaml) -> Result<Json> {
        match name {
            "Ref" => {
                let target = arg.as_str().ok_or_else(|| anyhow!("Ref takes a name"))?;
                Ok(Json::String(self.reference(target)?))
            }
            "GetAtt" => {
                let key = match arg {
                    Yaml::String(s) => s.clone(),
                    Yaml::Sequence(parts) => parts.iter().filter_map(Yaml::as_str).collect::<Vec<_>>().join("."),
                    other => bail!("GetAtt takes a name, not {other:?}"),
                };
                self.attributes
                    .get(&key)
                    .cloned()
                    .map(Json::String)
                    .ok_or_else(|| NotYet(key).into())
            }
            "Sub" => {
                let text = arg
                    .as_str()
                    .ok_or_else(|| anyhow!("only the one-argument form of Sub is supported"))?;
                Ok(Json::String(self.substitute(text)?))
            }
            other => bail!("the test harness does not resolve Fn::{other}; teach tests/src/template.rs"),
        }
    }

    fn reference(&self, target: &str) -> Result<String> {
        Ok(match target {
            "AWS::StackName" => self.stack_name.clone(),
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => self.account_id.clone(),
            "AWS::Partition" => "aws".into(),
            name => {
                if let Some(v) = self.refs.get(name) {
                    v.clone()
                } else if let Some(default) = self.template.parameter_default(name) {
                    match self.resolve(default)? {
                        Json::String(s) => s,
                        other => other.to_string(),
                    }
                } else if self.template.resource(name).is_ok() {
                    return Err(NotYet(name.to_owned()).into());
                } else {
                    bail!("Ref to unknown name {name}")
                }
            }
        })
    }

    fn substitute(&self, text: &str) -> Result<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in {text}"))?
                + start;
            let name = &rest[start + 2..end];
            if name.contains('.') {
                out.push_str(
                    self.attributes
                        .get(name)
                        .ok_or_else(|| anyhow::Error::from(NotYet(name.to_owned())))?,
                );
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
