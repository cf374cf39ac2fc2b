package planner

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Terraform blueprints, as found in Plan.Blueprint.
const (
	BlueprintS3Bucket      = "s3-bucket"
	BlueprintGCSBucket     = "gcs-bucket"
	BlueprintRDSPostgreSQL = "rds-postgresql"
	BlueprintVPC           = "vpc"
	BlueprintSQSQueue      = "sqs-queue"
	BlueprintSNSTopic      = "sns-topic"
	BlueprintECRRepository = "ecr-repository"
	BlueprintIAMRole       = "iam-role"
	BlueprintEKSCluster    = "eks-cluster"
	BlueprintCloudSQL      = "cloudsql-postgresql"
	BlueprintGKECluster    = "gke-cluster"
)

// Grant is one statement of an IAM role's least-privilege policy.
type Grant struct {
	Sid       string
	Actions   []string
	Resources []string
}

// Terraform holds the parameters of a Terraform blueprint.
type Terraform struct {
	// Cloud is "aws" or "gcp".
	Cloud string
	// Region is the AWS region, or the Google Cloud location.
	Region string
	// Name is the bucket name, the DB instance identifier or the VPC name.
	Name string
	// Database is the database created in an RDS instance.
	Database string
	// EngineVersion is the PostgreSQL version of an RDS instance.
	EngineVersion string
	// InstanceClass is the RDS instance class.
	InstanceClass string
	// StorageGiB is the allocated storage of an RDS instance.
	StorageGiB int
	// BackupDays is how long RDS keeps automated backups.
	BackupDays int
	// CIDR is the address range of a VPC.
	CIDR string
	// Zones is the number of availability zones a VPC spans.
	Zones int
	// SingleNAT shares one NAT gateway between a VPC's zones.
	SingleNAT bool
	// MultiZone keeps a Cloud SQL standby in another zone.
	MultiZone bool
	// FIFO makes an SQS queue or SNS topic first-in first-out.
	FIFO bool
	// MaxReceiveCount is how often an SQS message is received before it
	// moves to the dead-letter queue.
	MaxReceiveCount int
	// Emails subscribe to an SNS topic.
	Emails []string
	// KeepImages is how many images an ECR repository keeps.
	KeepImages int
	// Principal is who assumes an IAM role: lambda, ec2, ecs or eks (a
	// Kubernetes service account, Namespace/ServiceAccount, through the
	// cluster's OIDC provider); PrincipalService is the AWS service.
	Principal, PrincipalService string
	Namespace, ServiceAccount   string
	// Grants are what the role may do.
	Grants []Grant
	// KubernetesVersion, InstanceType and the node counts size an EKS
	// cluster's managed node group.
	KubernetesVersion, InstanceType string
	Nodes, MinNodes, MaxNodes       int
}

func (t *Terraform) summary(p *Plan) string {
	var parts []string
	switch p.Blueprint {
	case BlueprintS3Bucket:
		parts = append(parts, "S3 bucket "+t.Name+" in "+t.Region+" with versioning, encryption at rest and public access blocked")
	case BlueprintGCSBucket:
		parts = append(parts, "Cloud Storage bucket "+t.Name+" in "+t.Region+" with versioning, encryption at rest and public access prevention")
	case BlueprintRDSPostgreSQL:
		parts = append(parts, fmt.Sprintf("RDS PostgreSQL %s (%s, %dGiB) in %s, Multi-AZ, encrypted, %d days of backups", t.EngineVersion, t.InstanceClass, t.StorageGiB, t.Region, t.BackupDays))
	case BlueprintVPC:
		nat := "a NAT gateway per zone"
		if t.SingleNAT {
			nat = "one shared NAT gateway"
		}
		parts = append(parts, fmt.Sprintf("VPC %s (%s) in %s with public and private subnets in %s, %s", t.Name, t.CIDR, t.Region, validators.Count(t.Zones, "availability zone"), nat))
	case BlueprintSQSQueue:
		kind := "SQS queue"
		if t.FIFO {
			kind = "SQS FIFO queue"
		}
		parts = append(parts, fmt.Sprintf("%s %s in %s with a dead-letter queue after %d receives, encrypted", kind, t.Name, t.Region, t.MaxReceiveCount))
	case BlueprintSNSTopic:
		s := fmt.Sprintf("SNS topic %s in %s, encrypted", t.Name, t.Region)
		if t.FIFO {
			s = "FIFO " + s
		}
		if len(t.Emails) > 0 {
			s += ", emailing " + strings.Join(t.Emails, ", ")
		}
		parts = append(parts, s)
	case BlueprintECRRepository:
		parts = append(parts, fmt.Sprintf("ECR repository %s in %s with immutable tags, scan on push, KMS encryption, keeping %d images", t.Name, t.Region, t.KeepImages))
	case BlueprintCloudSQL:
		ha := "single zone"
		if t.MultiZone {
			ha = "regional (standby in another zone)"
		}
		parts = append(parts, fmt.Sprintf("Cloud SQL PostgreSQL %s (%s, %dGB) in %s, %s, private IP only, %d days of backups", t.EngineVersion, t.InstanceClass, t.StorageGiB, t.Region, ha, t.BackupDays))
	case BlueprintGKECluster:
		parts = append(parts, fmt.Sprintf("GKE regional cluster %s in %s (REGULAR channel, private nodes, Workload Identity) with a node pool of %s nodes, %d to %d per zone", t.Name, t.Region, t.InstanceType, t.MinNodes, t.MaxNodes))
	case BlueprintEKSCluster:
		parts = append(parts, fmt.Sprintf("EKS cluster %s (Kubernetes %s) in %s with a managed node group of %d %s nodes (%d to %d), private API endpoint", t.Name, t.KubernetesVersion, t.Region, t.Nodes, t.InstanceType, t.MinNodes, t.MaxNodes))
	case BlueprintIAMRole:
		who := t.Principal
		if t.Principal == "eks" {
			who = "the EKS service account " + t.Namespace + "/" + t.ServiceAccount
		}
		var may []string
		for _, g := range t.Grants {
			may = append(may, g.Sid)
		}
		parts = append(parts, fmt.Sprintf("IAM role %s assumed by %s, allowed only to %s", t.Name, who, strings.Join(may, ", ")))
	}
	if p.Environment != "" {
		parts = append(parts, "environment "+p.Environment)
	}
	return strings.Join(parts, ", ")
}

// tfState is what the Terraform rules found.
type tfState struct {
	cloud, cloudFrom string
	region           string
	instanceClass    string
	storage          int
	cidr             string
	zones            int
	backupDays       int
	public           string // words asking for public access, which the catalog refuses
	fifo             bool
	maxReceive       int
	emails           []string
	keepImages       int
	multiZone        bool
	principal        string
	k8sVersion       string
	instanceType     string
	nodes, minNodes  int
	maxNodes         int
	namespace, sa    string
	grants           []Grant
}

const tfCatalogWords = "an S3 or Cloud Storage bucket, PostgreSQL on AWS RDS or Cloud SQL, an AWS VPC with public and private subnets, an SQS queue with a dead-letter queue, an SNS topic, an ECR repository, an EKS cluster with a managed node group, a GKE cluster, or an IAM role with a least-privilege policy"

// tfRules read a Terraform intent; earlier rules take the words they match.
var tfRules = []rule{
	// Public access blocked is what every bucket gets; public access
	// asked for is refused, not quietly made private.
	{re(`(?:(?:block(?:ing|ed)?|no|without|prevent(?:ing)?|deny(?:ing)?) (?:all )?public access|public[- ]access[- ](?:block(?:ing|ed)?|prevention)|public access (?:blocked|disabled|prevented|denied))`),
		func(p *parser, m match) bool { p.fact("feature", feature(m.from), m.from); return true }},
	{re(`(?:public(?:ly)?(?:[- ]read(?:able)?| readable| accessible)?|world[- ]readable|anonymous(?: read)?(?: access)?) (?:s3 |gcs )?(?:buckets?|website|objects?|access)`),
		func(p *parser, m match) bool { p.tf.public = m.from; return true }},

	// What an IAM role may do, before the words name components: "that
	// can read the S3 bucket acme-invoices".
	{re(`(?:(?:that|which|and) )?(?:can |may |to |allowed to |is allowed to )?(read and write|read/write|read-write|read|write)(?: objects)?(?: (?:from|to|in|into))? (?:the )?(?:s3 )?bucket ([a-z0-9][a-z0-9.-]*[a-z0-9])`),
		func(p *parser, m match) bool {
			b := m.groups[2]
			var acts []string
			if strings.Contains(m.groups[1], "read") {
				acts = append(acts, "s3:GetObject")
			}
			if strings.Contains(m.groups[1], "write") {
				acts = append(acts, "s3:PutObject")
			}
			p.grant(Grant{Sid: m.groups[1] + " objects of the bucket " + b, Actions: acts, Resources: []string{"arn:aws:s3:::" + b + "/*"}}, m.from)
			if strings.Contains(m.groups[1], "read") {
				p.tf.grants = append(p.tf.grants, Grant{Sid: "list the bucket " + b, Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::" + b}})
			}
			return true
		}},
	{re(`(?:(?:that|which|and) )?(?:can |may |to |allowed to )?(send|publish|consume|receive|read)(?: messages)? (?:to|from|on) (?:the )?(?:sqs )?queue ([a-z0-9_-]+)`),
		func(p *parser, m match) bool {
			q := m.groups[2]
			arn := "arn:aws:sqs:${var.region}:${data.aws_caller_identity.current.account_id}:" + q
			acts := []string{"sqs:SendMessage", "sqs:GetQueueUrl"}
			verb := "send messages to"
			if m.groups[1] != "send" && m.groups[1] != "publish" {
				acts = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
				verb = "consume messages from"
			}
			p.grant(Grant{Sid: verb + " the queue " + q, Actions: acts, Resources: []string{arn}}, m.from)
			return true
		}},
	{re(`(?:(?:that|which|and) )?(?:can |may |to |allowed to )?publish(?: messages)? to (?:the )?(?:sns )?topic ([a-z0-9_-]+)`),
		func(p *parser, m match) bool {
			arn := "arn:aws:sns:${var.region}:${data.aws_caller_identity.current.account_id}:" + m.groups[1]
			p.grant(Grant{Sid: "publish to the topic " + m.groups[1], Actions: []string{"sns:Publish"}, Resources: []string{arn}}, m.from)
			return true
		}},
	{re(`(?:(?:that|which|and) )?(?:can |may |to |allowed to )?read (?:the )?(?:secrets manager )?secret ([a-z0-9/_+=.@-]*[a-z0-9])(?: (?:in|from) secrets manager)?`),
		func(p *parser, m match) bool {
			arn := "arn:aws:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:" + m.orig(1) + "-*"
			p.grant(Grant{Sid: "read the secret " + m.orig(1), Actions: []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}, Resources: []string{arn}}, m.from)
			return true
		}},
	{re(`(?:(?:that|which|and) )?(?:can |may |to |allowed to )?pull(?: images)? from (?:the )?(?:ecr )?(?:repository|repo) ([a-z0-9][a-z0-9/._-]*[a-z0-9])`),
		func(p *parser, m match) bool {
			arn := "arn:aws:ecr:${var.region}:${data.aws_caller_identity.current.account_id}:repository/" + m.groups[1]
			p.grant(Grant{Sid: "pull images from the repository " + m.groups[1], Actions: []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}, Resources: []string{arn}}, m.from)
			// Logging in to the registry is granted per account, not per
			// repository.
			p.tf.grants = append(p.tf.grants, Grant{Sid: "log in to the registry", Actions: []string{"ecr:GetAuthorizationToken"}, Resources: []string{"*"}})
			return true
		}},
	// Who assumes the role.
	{re(`(?:(?:for|assumed by|used by|trusted by|that) )?(?:the )?(?:kubernetes )?service ?account ([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)(?: (?:on|in) (?:aws )?eks)?`),
		func(p *parser, m match) bool {
			p.tf.principal, p.tf.namespace, p.tf.sa = "eks", m.groups[1], m.groups[2]
			p.fact("assumed by", "EKS service account "+m.groups[1]+"/"+m.groups[2], m.from)
			return true
		}},
	{re(`(?:(?:for|assumed by|used by|trusted by) )?(?:aws )?(?:a |an )?(lambda(?: functions?)?|ec2(?: instances?)?|ecs(?: tasks?)?)`),
		func(p *parser, m match) bool {
			p.tf.principal = strings.Fields(m.groups[1])[0]
			p.fact("assumed by", p.tf.principal, m.from)
			return true
		}},
	{re(`(?:an? )?(?:aws |amazon )?(?:eks|elastic kubernetes service)(?: cluster)?`),
		func(p *parser, m match) bool {
			p.setCloud("aws", m.from)
			p.component(BlueprintEKSCluster, m.from)
			return true
		}},
	{re(`(?:an? )?(?:google )?(?:gke|google kubernetes engine)(?: cluster)?`),
		func(p *parser, m match) bool {
			p.setCloud("gcp", m.from)
			p.component(BlueprintGKECluster, m.from)
			return true
		}},
	{re(`(?:on |running )?kubernetes (?:version )?(1\.\d{2})`),
		func(p *parser, m match) bool {
			p.tf.k8sVersion = m.groups[1]
			p.fact("kubernetes", m.groups[1], m.from)
			return true
		}},
	{re(`(?:with )?(?:an? )?(?:managed )?node ?groups?(?: (?:of|with))?`),
		func(p *parser, m match) bool { p.fact("feature", "managed node group", m.from); return true }},
	{re(`(?:autoscal(?:e|ing) )?(?:between|from) (\d+) (?:and|to) (\d+) (?:worker )?nodes`),
		func(p *parser, m match) bool {
			p.tf.minNodes, p.tf.maxNodes = atoi(m.groups[1]), atoi(m.groups[2])
			p.fact("nodes", m.groups[1]+" to "+m.groups[2], m.from)
			return p.tf.minNodes >= 1 && p.tf.maxNodes >= p.tf.minNodes
		}},
	{re(`(\d+)(?: x)?(?: ([a-z][0-9][a-z0-9-]*\.(?:nano|micro|small|medium|large|\d*xlarge|metal)|[a-z][0-9][a-z]?-(?:standard|highmem|highcpu)-\d+))? (?:worker )?nodes?`),
		func(p *parser, m match) bool {
			p.tf.nodes = atoi(m.groups[1])
			if m.groups[2] != "" {
				p.tf.instanceType = m.groups[2]
			}
			p.fact("nodes", m.groups[1], m.from)
			return p.tf.nodes >= 1
		}},
	{re(`(?:machine type |of type )?([a-z][0-9][a-z]?-(?:standard|highmem|highcpu)-\d+)(?: machines?| instances?)?`),
		func(p *parser, m match) bool {
			p.tf.instanceType = m.groups[1]
			p.fact("machine type", m.groups[1], m.from)
			return true
		}},
	// (Bounded by spaces: db.r6g.large is an RDS class, read further on.)
	{lazyRE(`(?:^|\s)((?:instance type |of type )?([a-z][0-9][a-z0-9-]*\.(?:nano|micro|small|medium|large|\d*xlarge|metal))(?: instances?)?)(?:\s|$)`),
		func(p *parser, m match) bool {
			p.tf.instanceType = m.groups[2]
			p.fact("instance type", m.groups[2], m.from)
			return true
		}},
	{re(`(?:an? )?(?:aws )?iam roles?`),
		func(p *parser, m match) bool { p.component(BlueprintIAMRole, m.from); return true }},
	{re(`(?:with )?(?:an? |its )?(?:least[- ]privileged?|minimal|scoped) (?:iam )?(?:polic(?:y|ies)|permissions?)|(?:with )?(?:an? )?(?:iam )?polic(?:y|ies)`),
		func(p *parser, m match) bool { p.fact("feature", "least-privilege policy", m.from); return true }},
	{re(`for (?:the )?([a-z0-9][a-z0-9-]*) (?:service|app|application|workload)`),
		func(p *parser, m match) bool {
			if p.app != "" || len(p.components) == 0 || p.components[0] != BlueprintIAMRole {
				return false
			}
			p.app = m.groups[1]
			p.fact("name", p.app, m.from)
			return true
		}},

	// Cloud SQL: "a Cloud SQL PostgreSQL 16 database".
	{re(`(?:(?:google )?cloud ?sql)(?: for)?(?: (?:postgres(?:ql)?|pg))?(?: (\d{1,2}))?(?: (?:database|db|instance|server))?`),
		func(p *parser, m match) bool {
			p.setCloud("gcp", m.from)
			p.component(BlueprintCloudSQL, m.from)
			if m.groups[1] != "" {
				p.version, p.versionFrom = m.groups[1], m.from
				p.fact("version", m.groups[1], m.from)
			}
			return true
		}},
	{re(`(?:machine type |tier )?(db-custom-\d+-\d+|db-f1-micro|db-g1-small)`),
		func(p *parser, m match) bool {
			p.tf.instanceClass = m.groups[1]
			p.fact("tier", m.groups[1], m.from)
			return true
		}},

	// Versions: "PostgreSQL 16", "engine version 16.4".
	{re(`(?:(?:postgres(?:ql)?|pg)(?: engine)?|engine)(?: version)? v?(\d{1,2}(?:\.\d+)?)`),
		func(p *parser, m match) bool {
			p.version, p.versionFrom = m.groups[1], m.from
			p.fact("version", m.groups[1], m.from)
			if !strings.HasPrefix(m.groups[0], "engine") {
				p.component(BlueprintRDSPostgreSQL, m.from)
			}
			return true
		}},

	// Queue and topic details.
	{re(`(?:(?:with|and) )?(?:an? )?(?:(?:dead[- ]letter|dlq|redrive)(?: queue)?|dlq)(?: after (\d+) (?:receives|attempts|retries|tries|failures))?`),
		func(p *parser, m match) bool {
			p.fact("feature", "dead-letter queue", m.from)
			if m.groups[1] != "" {
				p.tf.maxReceive = atoi(m.groups[1])
			}
			return true
		}},
	// Components.
	{re(`(?:(?:aws|amazon) )?rds(?: for)?(?: (?:postgres(?:ql)?|pg))?(?: (?:database|db|instance|server|cluster))?`),
		func(p *parser, m match) bool {
			p.setCloud("aws", m.from)
			p.component(BlueprintRDSPostgreSQL, m.from)
			return true
		}},
	{re(`(?:managed )?(?:postgres(?:ql)?|pg)(?: (?:database|db|instance|server))?`),
		func(p *parser, m match) bool { p.component(BlueprintRDSPostgreSQL, m.from); return true }},
	{re(`(?:(?:aws|amazon) )?s3(?: buckets?)?`),
		func(p *parser, m match) bool { p.setCloud("aws", m.from); p.component("bucket", m.from); return true }},
	{re(`(?:(?:google cloud|gcp|google) )?(?:gcs|cloud storage)(?: buckets?)?`),
		func(p *parser, m match) bool { p.setCloud("gcp", m.from); p.component("bucket", m.from); return true }},
	{re(`(?:object[- ]storage |storage )?buckets?|object[- ]storage`),
		func(p *parser, m match) bool { p.component("bucket", m.from); return true }},
	{re(`(?:(?:aws|amazon) )?(?:vpc|virtual private cloud)(?: network)?`),
		func(p *parser, m match) bool {
			p.setCloud("aws", m.from)
			p.component(BlueprintVPC, m.from)
			return true
		}},

	{re(`(?:(?:aws|amazon) )?(?:sqs(?: fifo)?(?: queues?)?|(?:message |job |work )?queues?)`),
		func(p *parser, m match) bool { p.component(BlueprintSQSQueue, m.from); return true }},
	{re(`(?:(?:aws|amazon) )?(?:sns(?: fifo)?(?: topics?)?|(?:notification |alert |event )?topics?)`),
		func(p *parser, m match) bool { p.component(BlueprintSNSTopic, m.from); return true }},
	{re(`(?:(?:aws|amazon) )?(?:ecr(?: repositor(?:y|ies))?|elastic container registry|(?:container|docker|image) (?:registry|repository|repo))`),
		func(p *parser, m match) bool { p.component(BlueprintECRRepository, m.from); return true }},

	// What the catalog does not cover.
	{re(`(azure|lambdas?|functions?|aks|kubernetes(?: cluster)?|dynamodb|mysql|mariadb|aurora|sql server|oracle|redis|elasticache|memcached|cloudfront|cdn|route ?53|dns(?: records?| zones?)?|load balancers?|alb|nlb|elb|ec2(?: instances?)?|virtual machines?|vms?|compute engine|kafka|msk|bigquery|spanner|firestore|pub/?sub|iam (?:users?|groups?)|api gateway|ecs|fargate|sagemaker|kms keys?|secrets? manager|opensearch|elasticsearch|transit gateway|vpn|peering)`),
		func(p *parser, m match) bool { p.uncovered = append(p.uncovered, m.from); return true }},

	{re(`(?:after |with )?(\d+) (?:receives|attempts|retries|tries|failures)`),
		func(p *parser, m match) bool {
			p.tf.maxReceive = atoi(m.groups[1])
			p.fact("max receives", m.groups[1], m.from)
			return true
		}},
	{re(`(?:first[- ]in[- ]first[- ]out|fifo|ordered)`),
		func(p *parser, m match) bool { p.tf.fifo = true; p.fact("fifo", "true", m.from); return true }},
	{re(`(?:(?:with |and )?(?:an )?(?:email )?(?:subscriptions?|subscribers?|notify|notifying|emailing|emails?)(?: (?:to|for|of))? )([a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})`),
		func(p *parser, m match) bool {
			p.tf.emails = append(p.tf.emails, m.orig(1))
			p.fact("email", m.orig(1), m.from)
			return true
		}},
	{re(`(?:and |, )?([a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})`),
		func(p *parser, m match) bool {
			if len(p.tf.emails) == 0 {
				return false
			}
			p.tf.emails = append(p.tf.emails, m.orig(1))
			p.fact("email", m.orig(1), m.from)
			return true
		}},
	{re(`(?:keep(?:ing)?|keeps|retain(?:ing)?) (?:the )?(?:last |newest |latest )?(\d+) images?`),
		func(p *parser, m match) bool {
			p.tf.keepImages = atoi(m.groups[1])
			p.fact("keep images", m.groups[1], m.from)
			return true
		}},
	{re(`(?:with )?(?:immutable tags|scan(?:ning)? on push|image scanning|vulnerability scanning)`),
		func(p *parser, m match) bool { p.fact("feature", feature(m.from), m.from); return true }},

	// Clouds.
	{re(`(?:on |in )?(?:aws|amazon(?: web services)?)`),
		func(p *parser, m match) bool { p.setCloud("aws", m.from); return true }},
	{re(`(?:on |in )?(?:gcp|google cloud(?: platform)?|google)`),
		func(p *parser, m match) bool { p.setCloud("gcp", m.from); return true }},

	// Names: "called assets", "named acme-logs".
	{re(`(?:called|named|name it|with the name|bucket name|identifier) ([a-z0-9][a-z0-9.-]*[a-z0-9])`),
		func(p *parser, m match) bool { p.app = m.groups[1]; p.fact("name", p.app, m.from); return true }},

	// Regions: "in eu-west-1", "europe-west1", "the EU multi-region".
	{re(`(?:(?:in|to|region|location) )?(?:the )?((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d)(?: region)?`),
		func(p *parser, m match) bool { p.setCloud("aws", m.from); return p.setRegion(m.groups[1], m.from) }},
	{re(`(?:(?:in|to|region|location) )?(?:the )?((?:us|europe|asia|australia|northamerica|southamerica|me|africa)-[a-z]+\d+)(?: region)?`),
		func(p *parser, m match) bool { p.setCloud("gcp", m.from); return p.setRegion(m.groups[1], m.from) }},
	{re(`(?:(?:in|to) )?(?:the )?(eu|us|asia) multi-?region`),
		func(p *parser, m match) bool {
			p.setCloud("gcp", m.from)
			return p.setRegion(asciiUpper(m.groups[1]), m.from)
		}},

	// Sizes and shapes.
	{re(`(?:instance class |class )?(db\.[a-z0-9]+\.[a-z0-9]+)(?: instance)?`),
		func(p *parser, m match) bool {
			p.tf.instanceClass = m.groups[1]
			p.fact("instance class", m.groups[1], m.from)
			return true
		}},
	{re(`(\d+) ?(gi|gib|gb|g|ti|tib|tb|t)(?: of)?(?: (?:storage|disk|allocated storage|space))?`),
		func(p *parser, m match) bool {
			n := atoi(m.groups[1])
			if strings.HasPrefix(m.groups[2], "t") {
				n *= 1024
			}
			if n < 20 || n > 65536 {
				return false
			}
			p.tf.storage = n
			p.fact("storage", strconv.Itoa(n)+"GiB", m.from)
			return true
		}},
	{re(`(?:cidr(?: block)?(?: of)? )?((?:\d{1,3}\.){3}\d{1,3}/\d{1,2})`),
		func(p *parser, m match) bool {
			p.tf.cidr = m.groups[1]
			p.fact("cidr", m.groups[1], m.from)
			return true
		}},
	{re(`(?:across |in |over |spanning )?` + num + `(?: |-)(?:availability zones?|azs?|zones?)`),
		func(p *parser, m match) bool {
			n := atoi(m.groups[1])
			if n < 1 || n > 8 {
				return false
			}
			p.tf.zones = n
			p.fact("zones", strconv.Itoa(n), m.from)
			return true
		}},
	{re(`(?:(\d+)[- ]days? (?:of )?(?:automated )?backups?(?: retention)?|(?:automated )?backups? (?:for|of|retained for|kept for|retention of) (\d+) days?)`),
		func(p *parser, m match) bool {
			n := atoi(m.groups[1] + m.groups[2])
			if n < 1 || n > 35 {
				return false
			}
			p.tf.backupDays = n
			p.fact("backups", strconv.Itoa(n)+" days", m.from)
			return true
		}},

	// Environments.
	{re(`(?:(?:in|to|into|for|on) )?(?:the )?` + envRE),
		func(p *parser, m match) bool {
			p.environment = NormalEnvironment(m.groups[1])
			p.fact("environment", p.environment, m.from)
			return true
		}},

	// What every blueprint does anyway: understood, nothing to set.
	{re(`(?:(?:with|and) )?(?:(?:bucket )?versioning(?: enabled)?|versioned|(?:server[- ]side |at[- ]rest |kms |default )?encrypt(?:ion|ed)(?: at rest)?(?: enabled)?|(?:block(?:ing|ed)?|no|without) public access|public[- ]access[- ](?:block(?:ing|ed)?|prevention)|private(?: access)?|multi-?az|highly available|high availability|(?:automated |automatic |daily )?backups?(?: enabled)?|point[- ]in[- ]time recovery|deletion protection|public and private subnets|(?:public|private) subnets?|nat gateways?|internet gateway|tls|ssl|secure|managed)`),
		func(p *parser, m match) bool {
			if strings.Contains(m.groups[0], "availab") || strings.Contains(m.groups[0], "multi") {
				p.tf.multiZone = true
			}
			p.fact("feature", feature(m.from), m.from)
			return true
		}},
}

// feature is the words of a feature without a leading "with" or "and".
func feature(from string) string {
	f := strings.ToLower(from)
	for _, w := range []string{"with ", "and "} {
		f = strings.TrimPrefix(f, w)
	}
	return f
}

func (p *parser) setCloud(cloud, from string) {
	if p.tf.cloud != "" && p.tf.cloud != cloud {
		p.uncovered = append(p.uncovered, fmt.Sprintf("%s and %s together", p.tf.cloud, cloud))
		return
	}
	if p.tf.cloud == "" {
		p.tf.cloud, p.tf.cloudFrom = cloud, from
		p.fact("cloud", cloud, from)
	}
}

func (p *parser) setRegion(r, from string) bool {
	p.tf.region = r
	p.fact("region", r, from)
	return true
}

func asciiUpper(s string) string { return strings.ToUpper(s) }

var terraformStopWords = setOf(`terraform module modules hcl infrastructure resource resources cloud`)

// parseTerraform reads an intent against the Terraform catalog.
func parseTerraform(intent string, h Hints) (*Plan, error) {
	p := newParser(intent)
	for _, r := range tfRules {
		p.run(r)
	}
	p.pos = len(p.orig) + 1
	plan := &Plan{}
	var unknown []string
	for _, t := range p.tokens {
		w := asciiLower(t.text)
		switch {
		case t.used || stopWords()[w]:
		case terraformStopWords()[w] || isFiller(w):
			plan.Ignored = append(plan.Ignored, t.text)
		default:
			unknown = append(unknown, t.text)
		}
	}
	if len(p.uncovered) == 0 && len(unknown) > 0 {
		return nil, p.decline(h, fmt.Sprintf("the built-in planner does not understand %s, which may carry a requirement, so it writes nothing rather than leave it out", quoteList(unknown)), unknown)
	}
	t, err := tfBlueprint(p, plan)
	if err != nil {
		return nil, err
	}
	tfEnvironment(p, plan, h)

	// Name: the sentence, then the hints, then the target path.
	p.name(plan, h)
	if plan.App == "" {
		return nil, fmt.Errorf("%w: no usable name; name it (\"called acme-logs\") or give a target path", ErrIncomplete)
	}
	t.Name = plan.App

	def := func(key, value string) { p.fact(key, value, "(default)") }
	t.Region = p.tf.region
	if t.Region == "" {
		t.Region = "us-east-1"
		if t.Cloud == "gcp" {
			t.Region = "EU"
			if plan.Blueprint == BlueprintCloudSQL || plan.Blueprint == BlueprintGKECluster {
				t.Region = "europe-west1" // an instance lives in one region
			}
		}
		def("region", t.Region)
	}
	if t.Cloud == "aws" && !awsRegion().MatchString(t.Region) || t.Cloud == "gcp" && awsRegion().MatchString(t.Region) {
		return nil, fmt.Errorf("%w: %s is not a %s region", ErrIncomplete, t.Region, t.Cloud)
	}
	if err := tfSizes(p, plan, t); err != nil {
		return nil, err
	}
	if len(plan.refusals) > 0 {
		return nil, p.decline(h, strings.Join(plan.refusals, "; "), nil)
	}
	plan.Understood = p.sortedFacts()
	return plan, nil
}

// tfBlueprint picks the one catalog entry the intent names, on its cloud.
func tfBlueprint(p *parser, plan *Plan) (*Terraform, error) {
	if p.tf.public != "" {
		return nil, fmt.Errorf("%w: %q: the catalog's buckets block public access; serve public content through a CDN in front of a private bucket", ErrNotCovered, p.tf.public)
	}
	if len(p.uncovered) > 0 {
		return nil, fmt.Errorf("%w: %s %s not in the Terraform catalog (it has %s)", ErrNotCovered,
			quoteList(p.uncovered), isAre(len(p.uncovered)), tfCatalogWords)
	}
	components := dedupe(p.components)
	switch len(components) {
	case 0:
		what := "nothing in it"
		if len(plan.Ignored) > 0 {
			what = "did not understand " + quoteList(plan.Ignored)
		}
		return nil, fmt.Errorf("%w: %q names nothing the Terraform catalog has (%s); %s", ErrNotCovered, p.intent, tfCatalogWords, what)
	case 1:
	default:
		return nil, fmt.Errorf("%w: one component per request, and %q names %s", ErrNotCovered, p.intent, strings.Join(components, " and "))
	}
	t := &Terraform{Cloud: p.tf.cloud}
	if t.Cloud == "" {
		t.Cloud = "aws"
		p.fact("cloud", "aws", "(default)")
	}
	plan.Terraform = t
	switch components[0] {
	case BlueprintGKECluster:
		if t.Cloud != "gcp" {
			return nil, fmt.Errorf("%w: GKE runs on Google Cloud, not %s", ErrNotCovered, t.Cloud)
		}
		plan.Blueprint = BlueprintGKECluster
	case BlueprintRDSPostgreSQL, BlueprintCloudSQL:
		// PostgreSQL is RDS on AWS and Cloud SQL on Google Cloud.
		plan.Blueprint = BlueprintRDSPostgreSQL
		if t.Cloud == "gcp" {
			plan.Blueprint = BlueprintCloudSQL
		}
	case "bucket":
		plan.Blueprint = BlueprintS3Bucket
		if t.Cloud == "gcp" {
			plan.Blueprint = BlueprintGCSBucket
		}
	case BlueprintVPC, BlueprintSQSQueue, BlueprintSNSTopic, BlueprintECRRepository, BlueprintIAMRole, BlueprintEKSCluster:
		if t.Cloud != "aws" {
			return nil, fmt.Errorf("%w: %s on %s is not in the Terraform catalog (it has %s)", ErrNotCovered, components[0], t.Cloud, tfCatalogWords)
		}
		plan.Blueprint = components[0]
	}

	return t, nil
}

// tfEnvironment takes the environment from the sentence, then the hints,
// then the target path.
func tfEnvironment(p *parser, plan *Plan, h Hints) {
	plan.Environment = p.environment
	if plan.Environment == "" {
		env, from := h.Environment, "(hint)"
		if env == "" {
			if e := PathEnvironment(h.TargetPath, "clusters", "terraform", "environments"); e != "" {
				env, from = e, "(target path "+h.TargetPath+")"
			}
		}
		if env != "" {
			plan.Environment = NormalEnvironment(asciiLower(env))
			p.fact("environment", plan.Environment, from)
		}
	}

}

// tfSizes fills what the blueprint needs from the intent or its
// defaults, and notes what the intent said that does not apply.
func tfSizes(p *parser, plan *Plan, t *Terraform) error {
	def := func(key, value string) { p.fact(key, value, "(default)") }
	notApplicable := func(what string, present bool) {
		if present {
			plan.refuse(fmt.Sprintf("%s does not apply to %s", what, plan.Blueprint))
		}
	}
	notApplicable("a version ("+p.versionFrom+")", p.version != "" && plan.Blueprint != BlueprintRDSPostgreSQL && plan.Blueprint != BlueprintCloudSQL)
	switch plan.Blueprint {
	case BlueprintS3Bucket, BlueprintGCSBucket:
		if len(t.Name) < 3 {
			return fmt.Errorf("%w: bucket name %q is shorter than 3 characters", ErrIncomplete, t.Name)
		}
		plan.note("bucket names are global: if " + t.Name + " is taken, set bucket_name")
		notApplicable("an instance class", p.tf.instanceClass != "")
		notApplicable("storage size", p.tf.storage != 0)
		notApplicable("a CIDR block", p.tf.cidr != "")
		notApplicable("availability zones", p.tf.zones != 0)
		notApplicable("backup retention", p.tf.backupDays != 0)
	case BlueprintRDSPostgreSQL:
		t.EngineVersion = strings.SplitN(PostgresTag, ".", 2)[0]
		switch v := p.version; {
		case v == "":
			def("engine version", t.EngineVersion)
		case builtinVersions[BlueprintPostgreSQL][strings.SplitN(v, ".", 2)[0]] != "":
			t.EngineVersion = v
		default:
			plan.refuse(fmt.Sprintf("PostgreSQL %s on RDS: the catalog's modules take the major versions 13 to 17", v))
		}
		t.InstanceClass = p.tf.instanceClass
		if t.InstanceClass == "" {
			t.InstanceClass = "db.t4g.medium"
			def("instance class", t.InstanceClass)
		}
		t.StorageGiB = p.tf.storage
		if t.StorageGiB == 0 {
			t.StorageGiB = 20
			def("storage", "20GiB")
		}
		t.BackupDays = p.tf.backupDays
		if t.BackupDays == 0 {
			t.BackupDays = 7
			def("backups", "7 days")
		}
		t.Database = strings.ReplaceAll(t.Name, "-", "_")
		if t.Database != "" && t.Database[0] >= '0' && t.Database[0] <= '9' {
			t.Database = "db_" + t.Database
		}
		plan.note("the network is not created here: set vpc_id, subnet_ids (private, two zones or more) and allowed_cidr_blocks")
		notApplicable("a CIDR block", p.tf.cidr != "")
		notApplicable("availability zones", p.tf.zones != 0)
	case BlueprintCloudSQL:
		t.EngineVersion = strings.SplitN(PostgresTag, ".", 2)[0]
		switch v := p.version; {
		case v == "":
			def("postgres version", t.EngineVersion)
		case builtinVersions[BlueprintPostgreSQL][v] != "":
			t.EngineVersion = v
		default:
			plan.refuse(fmt.Sprintf("PostgreSQL %s on Cloud SQL: the catalog's module takes the major versions 13 to 17", v))
		}
		t.InstanceClass = p.tf.instanceClass
		if t.InstanceClass == "" {
			t.InstanceClass = "db-custom-2-7680"
			def("tier", t.InstanceClass)
		}
		if strings.HasPrefix(t.InstanceClass, "db.") {
			plan.refuse(t.InstanceClass + " is an RDS instance class; Cloud SQL tiers are db-custom-CPUS-MEMORY_MB")
		}
		t.StorageGiB = p.tf.storage
		if t.StorageGiB == 0 {
			t.StorageGiB = 20
			def("storage", "20GB")
		}
		t.BackupDays = p.tf.backupDays
		if t.BackupDays == 0 {
			t.BackupDays = 7
			def("backups", "7 days")
		}
		t.MultiZone = plan.Environment == "production" || p.tf.multiZone
		if t.MultiZone && !p.tf.multiZone {
			def("high availability", "regional in production")
		}
		t.Database = strings.ReplaceAll(t.Name, "-", "_")
		plan.note("the network is not created here: set network to a VPC with private services access; connect with the Cloud SQL Auth Proxy or a connector")
		notApplicable("a CIDR block", p.tf.cidr != "")
		notApplicable("availability zones", p.tf.zones != 0)
	case BlueprintVPC:
		t.CIDR = p.tf.cidr
		if t.CIDR == "" {
			t.CIDR = "10.0.0.0/16"
			def("cidr", t.CIDR)
		}
		if !validCIDR(t.CIDR) {
			return fmt.Errorf("%w: %s is not an IPv4 CIDR block of /16 to /24", ErrIncomplete, t.CIDR)
		}
		t.Zones = p.tf.zones
		if t.Zones == 0 {
			t.Zones = 2
			if plan.Environment == "production" {
				t.Zones = 3
			}
			def("zones", strconv.Itoa(t.Zones))
		}
		t.SingleNAT = plan.Environment != "production"
		if t.SingleNAT {
			plan.note("one NAT gateway is shared by all zones outside production; set single_nat_gateway = false for one per zone")
		}
		plan.note("VPC flow logs are not configured; they need a log destination this module does not create")
		notApplicable("an instance class", p.tf.instanceClass != "")
		notApplicable("storage size", p.tf.storage != 0)
		notApplicable("backup retention", p.tf.backupDays != 0)
	case BlueprintSQSQueue, BlueprintSNSTopic, BlueprintECRRepository:
		notApplicable("an instance class", p.tf.instanceClass != "")
		notApplicable("storage size", p.tf.storage != 0)
		notApplicable("backup retention", p.tf.backupDays != 0)
		notApplicable("a CIDR block", p.tf.cidr != "")
		notApplicable("availability zones", p.tf.zones != 0)
		t.FIFO = p.tf.fifo
		switch plan.Blueprint {
		case BlueprintSQSQueue:
			t.MaxReceiveCount = p.tf.maxReceive
			if t.MaxReceiveCount == 0 {
				t.MaxReceiveCount = 5
				def("max receives", "5")
			}
			if t.MaxReceiveCount > 1000 {
				plan.refuse(fmt.Sprintf("%d receives: SQS allows at most 1000 before the dead-letter queue", t.MaxReceiveCount))
			}
		case BlueprintSNSTopic:
			t.Emails = p.tf.emails
			if t.FIFO && len(t.Emails) > 0 {
				plan.refuse("email subscriptions to a FIFO topic: FIFO topics deliver to SQS FIFO queues only")
			}
		case BlueprintECRRepository:
			t.KeepImages = p.tf.keepImages
			if t.KeepImages == 0 {
				t.KeepImages = 30
				def("keep images", "30")
			}
			notApplicable("FIFO", p.tf.fifo)
		}
	}
	if plan.Blueprint == BlueprintEKSCluster {
		t.KubernetesVersion = p.tf.k8sVersion
		if t.KubernetesVersion == "" {
			t.KubernetesVersion = "1.35"
			def("kubernetes", "1.35")
		}
		t.InstanceType = p.tf.instanceType
		if t.InstanceType == "" {
			t.InstanceType = "m6i.large"
			def("instance type", "m6i.large")
		}
		t.MinNodes, t.MaxNodes, t.Nodes = p.tf.minNodes, p.tf.maxNodes, p.tf.nodes
		switch {
		case t.Nodes == 0 && t.MinNodes == 0:
			t.Nodes, t.MinNodes, t.MaxNodes = 3, 3, 6
			def("nodes", "3 (3 to 6)")
		case t.Nodes == 0:
			t.Nodes = t.MinNodes
		case t.MinNodes == 0:
			t.MinNodes, t.MaxNodes = t.Nodes, max(t.Nodes*2, t.Nodes+1)
			def("nodes", fmt.Sprintf("%d to %d", t.MinNodes, t.MaxNodes))
		}
		if t.Nodes < t.MinNodes || t.Nodes > t.MaxNodes {
			plan.refuse(fmt.Sprintf("%d nodes outside %d to %d", t.Nodes, t.MinNodes, t.MaxNodes))
		}
		plan.note("the network is not created here: set subnet_ids (private, two zones or more); the API endpoint is private unless endpoint_public_access is set")
		for _, no := range []struct {
			what string
			set  bool
		}{{"an instance class", p.tf.instanceClass != ""}, {"storage size", p.tf.storage != 0}, {"backup retention", p.tf.backupDays != 0}, {"a CIDR block", p.tf.cidr != ""}, {"availability zones", p.tf.zones != 0}} {
			notApplicable(no.what, no.set)
		}
	} else if plan.Blueprint == BlueprintGKECluster {
		notApplicable("a Kubernetes version (GKE follows its REGULAR release channel)", p.tf.k8sVersion != "")
		t.InstanceType = p.tf.instanceType
		if t.InstanceType == "" {
			t.InstanceType = "e2-standard-4"
			def("machine type", "e2-standard-4")
		}
		if !strings.Contains(t.InstanceType, "-") {
			plan.refuse(t.InstanceType + " is an EC2 instance type; GKE machine types are like e2-standard-4")
		}
		t.MinNodes, t.MaxNodes = p.tf.minNodes, p.tf.maxNodes
		switch {
		case t.MinNodes == 0 && p.tf.nodes == 0:
			t.MinNodes, t.MaxNodes = 1, 3
			def("nodes", "1 to 3 per zone")
		case t.MinNodes == 0:
			// A regional pool has its count in each of the region's zones.
			if p.tf.nodes%3 != 0 {
				plan.refuse(fmt.Sprintf("%d nodes: a regional GKE node pool runs the same count in each of 3 zones, so ask for a multiple of 3 or say \"between 1 and 3 nodes\" per zone", p.tf.nodes))
			}
			t.MinNodes = max(p.tf.nodes/3, 1)
			t.MaxNodes = t.MinNodes * 2
			def("nodes", fmt.Sprintf("%d to %d per zone", t.MinNodes, t.MaxNodes))
		}
		plan.note("the network is not created here: set network and subnetwork (with secondary ranges for pods and services)")
		for _, no := range []struct {
			what string
			set  bool
		}{{"an instance class", p.tf.instanceClass != ""}, {"storage size", p.tf.storage != 0}, {"backup retention", p.tf.backupDays != 0}, {"a CIDR block", p.tf.cidr != ""}, {"availability zones", p.tf.zones != 0}} {
			notApplicable(no.what, no.set)
		}
	} else {
		notApplicable("nodes", p.tf.nodes != 0 || p.tf.minNodes != 0)
		notApplicable("an instance type", p.tf.instanceType != "")
		notApplicable("a Kubernetes version", p.tf.k8sVersion != "")
	}
	if plan.Blueprint == BlueprintIAMRole {
		services := map[string]string{"lambda": "lambda.amazonaws.com", "ec2": "ec2.amazonaws.com", "ecs": "ecs-tasks.amazonaws.com"}
		t.Principal, t.Namespace, t.ServiceAccount, t.PrincipalService = p.tf.principal, p.tf.namespace, p.tf.sa, services[p.tf.principal]
		if t.Principal == "" {
			return fmt.Errorf("%w: an IAM role needs who assumes it (\"for Lambda\", \"for ECS tasks\", \"for the service account billing/api on EKS\")", ErrIncomplete)
		}
		t.Grants = p.tf.grants
		if len(t.Grants) == 0 {
			return fmt.Errorf("%w: a least-privilege IAM role needs what it may do (\"that can read the S3 bucket acme-invoices\", \"send to the queue orders\", \"publish to the topic alerts\", \"read the secret prod/db\", \"pull from the repository acme/api\")", ErrIncomplete)
		}
		for _, no := range []struct {
			what string
			set  bool
		}{{"an instance class", p.tf.instanceClass != ""}, {"storage size", p.tf.storage != 0}, {"backup retention", p.tf.backupDays != 0}, {"a CIDR block", p.tf.cidr != ""}, {"availability zones", p.tf.zones != 0}} {
			notApplicable(no.what, no.set)
		}
	} else {
		notApplicable("who assumes a role", p.tf.principal != "")
		notApplicable("permissions", len(p.tf.grants) > 0)
	}
	notApplicable("a dead-letter queue's receive count", p.tf.maxReceive != 0 && plan.Blueprint != BlueprintSQSQueue)
	notApplicable("FIFO", p.tf.fifo && plan.Blueprint != BlueprintSQSQueue && plan.Blueprint != BlueprintSNSTopic && plan.Blueprint != BlueprintECRRepository)
	notApplicable("email subscribers", len(p.tf.emails) > 0 && plan.Blueprint != BlueprintSNSTopic)
	notApplicable("images to keep", p.tf.keepImages != 0 && plan.Blueprint != BlueprintECRRepository)
	return nil
}

var (
	awsRegion = lazyRE(`^[a-z]{2}-(?:gov-)?[a-z]+-\d$`)
	cidrRE    = lazyRE(`^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})$`)
)

func validCIDR(s string) bool {
	m := cidrRE().FindStringSubmatch(s)
	if m == nil {
		return false
	}
	for _, o := range m[1:5] {
		if n, _ := strconv.Atoi(o); n > 255 {
			return false
		}
	}
	bits, _ := strconv.Atoi(m[5])
	return bits >= 16 && bits <= 24
}

// terraformData is what the Terraform templates see.
type terraformData struct {
	*Plan
	T       *Terraform
	Summary string
}

// TerraformFiles returns a Terraform module folder for the plan (main.tf,
// variables.tf, outputs.tf, versions.tf with pinned providers), paths
// relative to the target folder, sorted.
func (p *Plan) TerraformFiles() ([]workspace.File, error) {
	if p.Terraform == nil {
		return nil, fmt.Errorf("%w: %s is a Kubernetes workload; write it as helm or kustomize, or ask for %s", ErrNotCovered, p.Blueprint, tfCatalogWords)
	}
	root := path.Join("blueprints", "terraform", p.Blueprint)
	tmpl, err := template.New(p.Blueprint).Funcs(template.FuncMap{"q": strconv.Quote, "sid": sid}).ParseFS(blueprints, root+"/*.tf")
	if err != nil {
		return nil, fmt.Errorf("read blueprint %s: %w", p.Blueprint, err)
	}
	data := terraformData{Plan: p, T: p.Terraform, Summary: p.Summary()}
	var out []workspace.File
	names, err := fs.Glob(blueprints, root+"/*.tf")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		var b bytes.Buffer
		if err := tmpl.ExecuteTemplate(&b, path.Base(name), data); err != nil {
			return nil, fmt.Errorf("write %s: %w", path.Base(name), err)
		}
		out = append(out, workspace.File{Path: path.Base(name), Content: b.Bytes()})
	}
	versions := "versions-aws.tf"
	if p.Terraform.Cloud == "gcp" {
		versions = "versions-google.tf"
	}
	v, err := blueprints.ReadFile(path.Join("blueprints", "terraform", "common", versions))
	if err != nil {
		return nil, err
	}
	out = append(out, workspace.File{Path: "versions.tf", Content: v})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// grant adds a statement of an IAM role's policy.
func (p *parser) grant(g Grant, from string) {
	p.tf.grants = append(p.tf.grants, g)
	p.fact("may", g.Sid, from)
}

// sid makes an IAM statement ID, which takes letters and digits only, of
// a description: "read the bucket x-y" is ReadTheBucketXY.
func sid(desc string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(desc, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
