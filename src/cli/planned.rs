//! `scan` and `explain`'s options for a planned change (issue 18): which plan or change set,
//! and where its resources land when it does not say.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// A planned change to judge before it is applied.
#[derive(Debug, Args)]
pub struct PlannedArgs {
    /// Judge the organisation as a Terraform plan leaves it: the JSON `terraform show -json
    /// plan.out` prints, laid over the snapshot. The snapshot as it is becomes the baseline:
    /// each finding says what the plan does to it (new, regressed, resolved, …) and
    /// --fail-on-new fails only on what it makes worse. What is known only after apply is
    /// never counted as protection (UNDECIDABLE, naming the plan's address).
    #[arg(long, value_name = "PLAN.json", group = "lands")]
    pub terraform_plan: Option<PathBuf>,
    /// The same for a CloudFormation change set: what `aws cloudformation describe-change-set
    /// --include-property-values` prints (its stack's account and region are where it lands).
    #[arg(
        long,
        value_name = "CHANGE-SET.json",
        conflicts_with = "terraform_plan"
    )]
    pub cfn_change_set: Option<PathBuf>,
    /// The same for a CloudFormation template (YAML or JSON), as its deployment to --account
    /// and --region would leave the organisation: parameters from --cfn-parameters or their
    /// defaults, intrinsic functions resolved where the template decides them (what only the
    /// deployment decides is UNDECIDABLE). A plan, vault or selection of the same name there
    /// is updated, not doubled.
    #[arg(
        long,
        value_name = "TEMPLATE",
        group = "lands",
        conflicts_with_all = ["terraform_plan", "cfn_change_set"]
    )]
    pub cfn_template: Option<PathBuf>,
    /// The template's parameter values: the JSON `aws cloudformation create-stack --parameters
    /// file://…` takes (`[{"ParameterKey": …, "ParameterValue": …}]`), or `{"Key": "Value"}`.
    #[arg(long, value_name = "PARAMS.json", requires = "cfn_template")]
    pub cfn_parameters: Option<PathBuf>,
    /// The stack the template updates: its resources in the snapshot (CloudFormation's
    /// aws:cloudformation:stack-name and logical-id tags) are updated, and those the template
    /// no longer has are deleted. Without it, unnamed resources are judged as new ones.
    #[arg(long, value_name = "NAME", requires = "cfn_template")]
    pub stack_name: Option<String>,
    /// The account a planned resource lands in when its ARN does not say (default: the
    /// snapshot's only account in that region).
    #[arg(long, value_name = "ID", requires = "lands")]
    pub account: Option<String>,
    /// The region a planned resource lands in when neither its ARN nor its provider
    /// configuration says (a template's: required).
    #[arg(long, value_name = "REGION", requires = "lands")]
    pub region: Option<String>,
    /// What a finding that is UNDECIDABLE until apply (an unknown tag value, selection or
    /// plan) does to the gate: `warn` reports it with its cause and address and does not
    /// count it; `fail` counts it as a failure. It is never counted as protected.
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = UndecidablePolicy::Warn)]
    pub undecidable: UndecidablePolicy,
}

/// `--undecidable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UndecidablePolicy {
    Warn,
    Fail,
}
