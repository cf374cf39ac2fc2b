package secrets

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Fake credentials with real shapes, generated for these tests.
const (
	akia        = "AKIAUJZDEGXDNCF32EPF"
	asia        = "ASIA3DHODZDOCIS2JHTL"
	awsSec      = "nyVmihA+2O76UMFxFkM+R5Kjp1vRt/1fjORS+6il"
	awsSec2     = "I8ihN5KXSc7Tvo+hBKqFYY+kv5ZJr3J1TWDtkwtD"
	ghp         = "ghp_QoaF1LlqsajAIxNKu8iS2G8NPRVdD53X83RZ"
	gho         = "gho_JzzzzgEOzdmenCkhvMdgaKjIg8xNbe3nNyjO"
	ghs         = "ghs_q9wMxEhh2FDEEtfjgVvVqE1SkHbn88HxjSI6"
	ghPat       = "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"
	xoxb        = "xoxb-163726516761-2220297299752-JJibaZUPgHV7iB3m03nbqnsG"
	xoxp        = "xoxp-395486205798-682828807290-2227918058887-3176813e02ea68ef786e4d3cea27d269"
	hook        = "https://hooks.slack.com/services/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"
	skLive      = "sk_live_Yo4gfqrc5XlrWi0B26R08qzj"
	rkLive      = "rk_live_I6GKFSufrdZSlB5er8bOfZqf"
	aiza        = "AIzaCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5"
	npmTok      = "npm_gQ0PBQFI14zGtSnovm14TUOizwd1iaeOV4qB"
	azKey       = "KQ4Vqtdh3oGr+EiZPrFLC3UvKERyAENd9lT4/IxSPgj34U83Wy4AVWEVeUeApzM/gcYBF0PRFiRmlgpkBUxNoQ=="
	oaiKey      = "sk-proj-DktXP-tKsf2rcDkdfrUnW5gcF_Ha6ili8GjHEAD6-Wj9KfzjsQGMrb9h_ImB_LK777pzNk8cL6j5IXAAjlsHUqJoUD-_Ydua_5ZM"
	antKey      = "sk-ant-api03-s1SWOpQaPRYpzbLGViYXjU2JgJngKtFI3OyV2dZAkg05rK_gqv81RKMGHZEM9YpvujA-C5Q52ryFlwRlOEVHzc0X0AWIRAA"
	glpat       = "glpat-0fzK4xDXkiadJjPZ6zfK"
	jwtTok      = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAic3ZjLWRlcGxveWVyIiwgImlhdCI6IDE3NjQxMjAwMDB9.h-JUqBlIFXZ53Ncqe28_ajY75FnCttn6kfaqDeMqG3o"
	keyMaterial = "GRJMhvGVMWNCOcqZAAKJTf91R/VQpdbiPnmGPIw/B/VptKZODgUxf+KspWsUQTqq\n" +
		"bOxeOn4Isla3a1yuZTIBzEq92IERNH74M0/E0TE7dzhDwuNLG/Offpwv5Tl8aumq\n" +
		"DvKYJexkDTYG+Zgkag21Dy9kc+W24lC7HP8U7ipUMC+n74a/dwhPqrlg1l/8VHEr\n" +
		"GwAURxRZa/TiH4/2wjVhW8TST9LNbhYMtHkyX4rrcjFSXbzleQehaT/PoMRnCmAI"
	hex40 = "e574de739988b886e7577496a2c8773e130f7eb1"
	hex64 = "9731662b5e803b61ba4168160adb59261ff2d3c425c8d99d19bdd0b6cc60d5d3"
)

// pem returns a PEM block with the given label, each line indented.
func pem(label, indent string) string {
	var b strings.Builder
	b.WriteString("-----BEGIN " + label + "-----\n")
	for l := range strings.SplitSeq(keyMaterial, "\n") {
		b.WriteString(indent + l + "\n")
	}
	b.WriteString(indent + "-----END " + label + "-----")
	return b.String()
}

// lines joins its arguments with line breaks.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

type want struct {
	rule string
	line int
}

func (w want) String() string { return fmt.Sprintf("%s@%d", w.rule, w.line) }

var positives = []struct {
	name, path, content string
	want                []want
}{
	{"aws key id yaml", "values.yaml", "accessKeyId: " + akia + "\n", []want{{"aws-access-key-id", 1}}},
	{"aws sts key id env", ".env", "AWS_ACCESS_KEY_ID=" + asia + "\n", []want{{"aws-access-key-id", 1}}},
	{"aws credentials ini", "credentials", lines("[default]", "aws_access_key_id = "+akia, "aws_secret_access_key = "+awsSec),
		[]want{{"aws-access-key-id", 2}, {"aws-secret-access-key", 3}}},
	{"aws provider block", "main.tf", lines(`provider "aws" {`, `  region     = "us-east-1"`, `  access_key = "`+akia+`"`, `  secret_key = "`+awsSec2+`"`, `}`),
		[]want{{"aws-access-key-id", 3}, {"aws-secret-access-key", 4}}},
	{"aws secret in env list", "deploy.yaml", lines("env:", "  - name: AWS_SECRET_ACCESS_KEY", "    value: "+awsSec),
		[]want{{"aws-secret-access-key", 3}}},
	{"aws secret dotenv", ".env", "AWS_SECRET_ACCESS_KEY=" + awsSec2 + "\n", []want{{"aws-secret-access-key", 1}}},
	{"aws secret json", "creds.json", `{"AccessKeyId": "` + asia + `", "SecretAccessKey": "` + awsSec + `"}`,
		[]want{{"aws-access-key-id", 1}, {"aws-secret-access-key", 1}}},
	{"github classic token", "values.yaml", lines("ci:", "  githubToken: "+ghp), []want{{"github-token", 2}}},
	{"github oauth token json", "config.json", lines("{", `  "oauth": "`+gho+`"`, "}"), []want{{"github-token", 2}}},
	{"github app token in url-less text", "notes.txt", "use " + ghs + " for the app\n", []want{{"github-token", 1}}},
	{"github fine-grained pat", ".env", "GH_PAT=" + ghPat + "\n", []want{{"github-token", 1}}},
	{"gitlab token", "ci.yml", "gitlab: " + glpat + "\n", []want{{"gitlab-token", 1}}},
	{"slack bot token", "values.yaml", lines("slack:", "  bot: "+xoxb), []want{{"slack-token", 2}}},
	{"slack user token hcl", "main.tf", `slack_user = "` + xoxp + `"` + "\n", []want{{"slack-token", 1}}},
	{"slack webhook", "values.yaml", lines("alerting:", "  webhookUrl: "+hook), []want{{"slack-webhook", 2}}},
	{"pem rsa in yaml block", "values.yaml", lines("tls:", "  key: |", "    "+pem("RSA PRIVATE KEY", "    ")),
		[]want{{"private-key", 3}}},
	{"pem in hcl heredoc", "main.tf", lines(`resource "tls_x" "a" {`, `  private_key_pem = <<EOT`, pem("EC PRIVATE KEY", ""), "EOT", "}"),
		[]want{{"private-key", 3}}},
	{"openssh key file", "id_ed25519", pem("OPENSSH PRIVATE KEY", "") + "\n", []want{{"private-key", 1}}},
	{"pkcs8 key with escaped newlines", "key.json", `{"key": "-----BEGIN PRIVATE KEY-----\n` + strings.ReplaceAll(keyMaterial, "\n", `\n`) + `\n-----END PRIVATE KEY-----\n"}`,
		[]want{{"private-key", 1}}},
	{"gcp service account json", "sa.json", lines("{", `  "type": "service_account",`, `  "project_id": "demo",`, `  "private_key_id": "`+hex40+`",`,
		`  "private_key": "-----BEGIN PRIVATE KEY-----\n`+strings.ReplaceAll(keyMaterial, "\n", `\n`)+`\n-----END PRIVATE KEY-----\n",`,
		`  "client_email": "ci@demo.iam.gserviceaccount.com"`, "}"),
		[]want{{"gcp-service-account-key", 5}}},
	{"jwt bearer header", "request.http", lines("GET /api", "Authorization: Bearer "+jwtTok), []want{{"jwt", 2}}},
	{"jwt in yaml", "values.yaml", "idToken: " + jwtTok + "\n", []want{{"jwt", 1}}},
	{"stripe live secret", ".env", "STRIPE_KEY=" + skLive + "\n", []want{{"stripe-key", 1}}},
	{"stripe restricted key", "app.yaml", "stripe:\n  restricted: " + rkLive + "\n", []want{{"stripe-key", 2}}},
	{"gcp api key", "config.js", "const maps = '" + aiza + "';\n", []want{{"gcp-api-key", 1}}},
	{"openai key", ".env", "OPENAI_API_KEY=" + oaiKey + "\n", []want{{"openai-api-key", 1}}},
	{"anthropic key", "values.yaml", "anthropic:\n  apiKey: \"" + antKey + "\"\n", []want{{"anthropic-api-key", 2}}},
	{"npm token in npmrc", ".npmrc", "//registry.npmjs.org/:_authToken=" + npmTok + "\n", []want{{"npm-token", 1}}},
	{"azure connection string", "appsettings.json", `{"Storage": "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=` + azKey + `;EndpointSuffix=core.windows.net"}`,
		[]want{{"azure-storage-key", 1}}},
	{"azure key by name", "main.tf", `azure_storage_key = "` + azKey + `"` + "\n", []want{{"azure-storage-key", 1}}},
	{"postgres url", "values.yaml", "DATABASE_URL: postgres://app:Sup3rS3cret@db:5432/app\n", []want{{"basic-auth-url", 1}}},
	{"mongodb srv url json", "c.json", `{"uri": "mongodb+srv://svc:pA55w0rd9@cluster0.example.net/db"}`, []want{{"basic-auth-url", 1}}},
	{"git https with token", "main.tf", `source = "git::https://deploy:Xk29dLq0vT@git.internal/mod.git"` + "\n", []want{{"basic-auth-url", 1}}},
	{"yaml password", "values.yaml", lines("db:", "  password: hunter2"), []want{{"generic-password", 2}}},
	{"json password", "c.json", lines("{", `  "user": "app",`, `  "password": "hunter2"`, "}"), []want{{"generic-password", 3}}},
	{"hcl password", "main.tf", lines(`resource "aws_db_instance" "db" {`, `  password = "hunter2!"`, "}"), []want{{"generic-password", 2}}},
	{"dotenv password", ".env", lines("DB_HOST=db", "DB_PASSWORD=hunter2"), []want{{"generic-password", 2}}},
	{"export api key", "run.sh", "export API_KEY=q8Zr4Lx0Wm\n", []want{{"generic-password", 1}}},
	{"k8s env list pair", "deploy.yaml", lines("containers:", "  - name: app", "    env:", "      - name: DB_PASSWORD", `        value: "s3cr3t"`),
		[]want{{"generic-password", 5}}},
	{"compose env list", "docker-compose.yml", lines("services:", "  db:", "    environment:", "      - POSTGRES_PASSWORD=s3cr3t"), []want{{"generic-password", 4}}},
	{"helm values nested", "values.yaml", lines("auth:", "  rootPassword: Zx9!kq2", "  username: app"), []want{{"generic-password", 2}}},
	{"cli flag", "deploy.yaml", `args: ["--db-password=Tr0ub4dor", "--verbose"]` + "\n", []want{{"generic-password", 1}}},
	{"java properties", "application.properties", "spring.datasource.password=Tr0ub4dor&3\n", []want{{"generic-password", 1}}},
	{"terraform variable default", "variables.tf", lines(`variable "db_password" {`, `  type    = string`, `  default = "Tr0ub4dor"`, "}"),
		[]want{{"generic-password", 3}}},
	{"client secret json", "oauth.json", `{"client_id": "abc", "client_secret": "9sd8f7g6h5j4k3l2"}`, []want{{"generic-password", 1}}},
	{"minified json", "c.json", `{"a":{"user":"x","password":"hunter2"}}`, []want{{"generic-password", 1}}},
	{"yaml single quoted", "values.yaml", "password: 'it''s-s3cret'\n", []want{{"generic-password", 1}}},
	{"go assignment", "main.go", "\tpassword := \"hunter2\"\n", []want{{"generic-password", 1}}},
	{"query string", "app.yaml", "url: https://api.internal/login?user=app&password=hunter2x&x=1\n", []want{{"generic-password", 1}}},
	{"weak key random value", "values.yaml", "token: 9f8e7d6c5b4a3F2e1d0c\n", []want{{"generic-password", 1}}},
	{"configmap embedded config", "cm.yaml", lines("kind: ConfigMap", "data:", "  app.yaml: |", "    db:", "      password: hunter2"),
		[]want{{"generic-password", 5}}},
	{"k8s secret stringData", "secret.yaml", lines("apiVersion: v1", "kind: Secret", "metadata:", "  name: db", "stringData:", "  username: app", "  dbpw: hunter2"),
		[]want{{"k8s-secret-data", 6}, {"k8s-secret-data", 7}}},
	{"k8s secret data base64", "secret.yaml", lines("apiVersion: v1", "kind: Secret", "type: Opaque", "data:", "  password: aHVudGVyMg==", "  pin: MTIzNDU2"),
		[]want{{"k8s-secret-data", 5}, {"k8s-secret-data", 6}}},
	{"k8s secret block scalar", "secret.yaml", lines("kind: Secret", "stringData:", "  config.ini: |", "    [db]", "    host = db", "metadata:", "  name: x"),
		[]want{{"k8s-secret-data", 4}}},
	{"k8s secret in list", "list.yaml", lines("apiVersion: v1", "kind: List", "items:", "  - apiVersion: v1", "    kind: ConfigMap", "    data:", "      LOG: debug",
		"  - apiVersion: v1", "    kind: Secret", "    data:", "      key: c2VjcmV0MQ=="),
		[]want{{"k8s-secret-data", 11}}},
	{"k8s secret second document", "all.yaml", lines("kind: ConfigMap", "data:", "  a: b", "---", "kind: Secret", "data:", "  tls.key: "+strings.Repeat("QUJD", 20)),
		[]want{{"k8s-secret-data", 7}}},
	{"k8s secret json", "secret.json", lines("{", `  "apiVersion": "v1",`, `  "kind": "Secret",`, `  "data": {`, `    "api": "c2VjcmV0MQ=="`, "  }", "}"),
		[]want{{"k8s-secret-data", 5}}},
	{"k8s secret minified json", "secret.json", `{"apiVersion":"v1","data":{"a":"c2VjcmV0MQ==","b":"","c":"Y2hhbmdlbWU="},"kind":"Secret","metadata":{"name":"x","annotations":{"k":"v"}}}`,
		[]want{{"k8s-secret-data", 1}}},
	{"k8s secret list json", "list.json", `{"kind":"List","items":[{"kind":"ConfigMap","data":{"a":"b"}},{"kind":"Secret","stringData":{"pw":"hunter2","u":"app"}}]}`,
		[]want{{"k8s-secret-data", 1}, {"k8s-secret-data", 1}}},
	{"k8s secret with template lines", "templates/secret.yaml", lines("kind: Secret", "stringData:", "{{- if .Values.x }}", "  literal: hunter2", "{{- end }}", "  templ: {{ .Values.y | quote }}"),
		[]want{{"k8s-secret-data", 4}}},
	{"k8s secret tls key pem", "tls.yaml", lines("kind: Secret", "type: kubernetes.io/tls", "stringData:", "  tls.key: |", "    "+pem("PRIVATE KEY", "    ")),
		[]want{{"private-key", 5}}},
	{"hcl inside a csv field", "results.csv", `1,"resource ""aws_db_instance"" ""db"" {` + "\n" + `  password = ""foobarbaz""` + "\n" + `}"` + "\n", []want{{"generic-password", 2}}},
	{"ecs container definition", "task.json", `[{"name": "app", "environment": [{"name": "DB_PASSWORD", "value": "s3cr3t-9"}]}]`, []want{{"generic-password", 1}}},
	{"quoted kind", "secret.yaml", lines(`kind: "Secret"`, "data:", `  "token": "c2VjcmV0MQ=="`), []want{{"k8s-secret-data", 3}}},
	{"dotenv quoted", ".env", `DB_PASSWORD="hunter2 with space"` + "\n", []want{{"generic-password", 1}}},
	{"yaml flow mapping", "values.yaml", "db: {user: app, password: hunter2, port: 5432}\n", []want{{"generic-password", 1}}},
	{"bearer header in probe", "deploy.yaml", lines("httpHeaders:", "  - name: Authorization", "    value: Bearer 7fG2kQ9xLm4pR8sT1vW3yZ6b"), []want{{"authorization-header", 3}}},
	{"basic header in curl", "check.sh", `curl -H "Authorization: Basic dXNlcjpodW50ZXIyLXNlY3JldA==" https://api` + "\n", []want{{"authorization-header", 1}}},
	{"docker config auth", "config.json", `{"auths": {"ghcr.io": {"auth": "ZGVwbG95OmdocF9zZWNyZXQxMjM0NQ=="}}}`, []want{{"generic-password", 1}}},
	{"connection string password", "appsettings.json", `{"ConnectionStrings": {"Db": "Server=db;User Id=sa;Password=Pa55w0rd!;"}}`, []want{{"generic-password", 1}}},
	{"commented out password", "values.yaml", "# password: hunter2\n", []want{{"generic-password", 1}}},
}

func TestFindCatches(t *testing.T) {
	for _, tc := range positives {
		t.Run(tc.name, func(t *testing.T) {
			var got []want
			for _, m := range Find(tc.path, []byte(tc.content)) {
				got = append(got, want{m.Rule, m.Line})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Find(%s) = %v, want %v\n%s", tc.path, got, tc.want, tc.content)
			}
		})
	}
}

var lookAlikes = []struct {
	name, path, content string
}{
	{"env var reference", "values.yaml", "password: ${DB_PASSWORD}\n"},
	{"helm template", "templates/d.yaml", `password: "{{ .Values.db.password }}"` + "\n"},
	{"shell substitution", ".env", "DB_PASSWORD=$(cat /run/secrets/db)\n"},
	{"bare shell variable", "run.sh", "export PGPASSWORD=$DB_PASSWORD\n"},
	{"angle placeholder", "values.yaml", "apiKey: <your-api-key>\n"},
	{"changeme", "values.yaml", "password: changeme\n"},
	{"example", "values.yaml", "password: example-password\n"},
	{"xxxx", "values.yaml", "token: xxxxxxxxxxxxxxxxxxxx\n"},
	{"redacted", "values.yaml", "password: REDACTED\n"},
	{"already redacted", "values.yaml", "password: <redacted:generic-password>\n"},
	{"masked", "values.yaml", `password: "********"` + "\n"},
	{"secretKeyRef", "deploy.yaml", lines("env:", "  - name: DB_PASSWORD", "    valueFrom:", "      secretKeyRef:", "        name: db", "        key: password")},
	{"existingSecret", "values.yaml", lines("auth:", "  existingSecret: my-db-secret", "  existingSecretPasswordKey: db-password", "  passwordKey: password")},
	{"secretName and secretRef", "values.yaml", lines("tls:", "  secretName: tls-cert", "envFrom:", "  - secretRef:", "      name: app-env")},
	{"external secret", "es.yaml", lines("apiVersion: external-secrets.io/v1beta1", "kind: ExternalSecret", "spec:", "  data:", "    - secretKey: dbPassword9",
		"      remoteRef:", "        key: prod/db", "        property: password")},
	{"sealed secret", "sealed.yaml", lines("apiVersion: bitnami.com/v1alpha1", "kind: SealedSecret", "metadata:", "  name: db", "spec:", "  encryptedData:",
		"    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq"+awsSec+awsSec2, "    api_token: AgA"+azKey)},
	{"vault agent annotation", "deploy.yaml", lines("annotations:", "  vault.hashicorp.com/agent-inject-secret-db: database/creds/app",
		"  vault.hashicorp.com/role: app")},
	{"vault reference values", "values.yaml", lines("password: vault:secret/data/db#password", "token: ref+vault://secret/app#/token",
		"apiKey: arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf")},
	{"terraform var", "main.tf", lines(`resource "aws_db_instance" "db" {`, "  password = var.db_password", "}")},
	{"terraform random_password", "main.tf", "  master_password = random_password.db.result\n"},
	{"terraform secrets manager", "main.tf", lines("  secret_string = data.aws_secretsmanager_secret_version.db.secret_string",
		"  secret_id     = aws_secretsmanager_secret.db.id")},
	{"terraform interpolation", "main.tf", `  password = "${var.db_password}"` + "\n"},
	{"terraform variable without default", "variables.tf", lines(`variable "db_password" {`, "  type      = string", "  sensitive = true", "}")},
	{"empty strings", "values.yaml", lines(`password: ""`, "token: ''", "apiKey:")},
	{"booleans and numbers", "values.yaml", lines("password: true", "enablePassword: false", "token_ttl: 3600", "passwordMinLength: 12", "port: 5432")},
	{"image digest", "deploy.yaml", "image: nginx@sha256:" + hex64 + "\n"},
	{"checksum annotations", "deploy.yaml", lines("annotations:", "  checksum/config: "+hex64, "  checksum/secret: "+hex64)},
	{"uuid ids", "main.tf", lines(`client_id       = "123e4567-e89b-12d3-a456-426614174000"`, `tenant_id       = "9b3c4d2e-1f0a-4b5c-8d7e-6f5a4b3c2d1e"`,
		`subscription_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"`)},
	{"aws documented example", "credentials", lines("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")},
	{"git sha near aws keyword", "values.yaml", lines("aws_secret_name: app", "revision: "+hex40)},
	{"password file path", "values.yaml", lines("password_file: /run/secrets/db", "passwordPath: /etc/app/pw")},
	{"pwd as directory", ".env", "PWD=/home/app\n"},
	{"prose messages", "policy.yaml", lines("message: Secrets must not contain a plaintext password", "description: The token used to authenticate")},
	{"prose under password key", "values.yaml", "password: set this in the vault before deploying\n"},
	{"github actions secrets", "ci.yml", lines("jobs:", "  build:", "    secrets: inherit", "    env:", "      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}")},
	{"public key and certificate", "ca.pem", lines("-----BEGIN CERTIFICATE-----", keyMaterial, "-----END CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----", keyMaterial, "-----END PUBLIC KEY-----")},
	{"pem placeholder", "values.yaml", lines("key: |", "  -----BEGIN PRIVATE KEY-----", "  ...", "  -----END PRIVATE KEY-----")},
	{"urls without password", "values.yaml", lines("repo: https://user@github.com/org/repo", "db: postgres://db:5432/app", "u: https://${USER}:${PASS}@host/x", "ssh: git@github.com:org/repo.git")},
	{"url with placeholder password", "values.yaml", "url: postgres://app:password@db:5432/app\n"},
	{"token placeholders", "values.yaml", lines("gh: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "slack: xoxb-your-bot-token", "hook: https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX")},
	{"stripe publishable and test keys", ".env", lines("STRIPE_PUBLISHABLE=pk_live_Yo4gfqrc5XlrWi0B26R08qzj", "STRIPE_TEST=sk_test_Yo4gfqrc5XlrWi0B26R08qzj")},
	{"k8s secret templated", "templates/secret.yaml", lines("kind: Secret", "data:", "  password: {{ .Values.password | b64enc }}", `  token: ""`, "stringData:", "  api: ${API_KEY}")},
	{"k8s secret base64 placeholder", "secret.yaml", lines("kind: Secret", "data:", "  password: Y2hhbmdlbWU=")},
	{"configmap data", "cm.yaml", lines("kind: ConfigMap", "data:", "  LOG_LEVEL: debug", "  FEATURE: on")},
	{"weak keys holding names", "values.yaml", lines("token: my-service-token", "secret: db-credentials", "credentials: aws-creds", "auth: OAUTH_TOKEN")},
	{"secret store paths", "values.yaml", lines("password: secret/data/app/db", "token: kv/prod/api")},
	{"sensitive flag", "outputs.tf", lines(`output "db_password" {`, "  value     = random_password.db.result", "  sensitive = true", "}")},
	{"jwt-like non jwt", "x.txt", "eyJub3QiOiJqd3QifQ.eyJub3QiOiJqd3QifQ.c2lnbmF0dXJlc2lnbmF0dXJl\n"},
	{"comparisons", "main.go", lines(`if password == "" {`, `if cfg.Token != "none" {`)},
	{"key names as values", "values.yaml", lines("- name: DB_PASSWORD", "  valueFrom:", "    secretKeyRef: {name: db, key: password}")},
	{"kustomize secret generator files", "kustomization.yaml", lines("secretGenerator:", "  - name: db", "    envs:", "      - db.env", "    files:", "      - tls.key")},
	{"percent env reference", "run.cmd", "set DB_PASSWORD=%DB_PASSWORD%\n"},
	{"concourse var", "pipeline.yml", "password: ((db_password))\n"},
	{"function calls", "x.csv", lines(`  secret_string = jsonencode({`, `  private_key = file(""private_key.pem"")`, `  password = lookup(var.creds, "db")`)},
	{"text inside a string", "test.bats", `  [[ "$output" =~ "PASS: 1/1" ]]` + "\n"},
	{"error message", "log.txt", "Error: validating provider credentials: retrieving caller identity from STS: operation error STS: GetCallerIdentity, StatusCode: 403\n"},
	{"schema description", "schema.json", `{"description": "format - byte: base64 - password: any kind of string - date: a date string"}`},
	{"efs creation token", "main.tf", `  creation_token = "my-product"` + "\n"},
	{"values naming their key", "main.tf", lines(`  client_secret = "client_secret"`, `  api_key = "YOUR_API_KEY"`, `  password = "my-password"`)},
	{"settings about passwords", "main.tf", lines(`  password_encryption = "scram-sha-256"`, `  password_auth_method = "md5"`)},
	{"auth settings", "values.yaml", lines("auth: true", "basic_auth: enabled", "auth: none", "Authorization: Bearer ${TOKEN}", "header: Bearer <token>")},
	{"1password reference", ".env", "DB_PASSWORD=op://vault/db/password\n"},
}

func TestFindIgnoresLookAlikes(t *testing.T) {
	for _, tc := range lookAlikes {
		t.Run(tc.name, func(t *testing.T) {
			if got := Find(tc.path, []byte(tc.content)); len(got) != 0 {
				t.Errorf("Find(%s) = %+v, want none\n%s", tc.path, got, tc.content)
			}
		})
	}
}

func TestFindCounts(t *testing.T) {
	if len(positives) < 40 || len(lookAlikes) < 40 {
		t.Errorf("table sizes %d positives, %d look-alikes; want at least 40 each", len(positives), len(lookAlikes))
	}
}

func TestFindMatchFields(t *testing.T) {
	in := lines(
		"env:",
		"  - name: DB_PASSWORD",
		`    value: "hunter2"`,
		"aws_access_key_id = "+akia,
	)
	got := Find("deploy.yaml", []byte(in))
	want := []Match{
		{Rule: "generic-password", Line: 3, Column: 13, Key: "DB_PASSWORD", Excerpt: "h…"},
		{Rule: "aws-access-key-id", Line: 4, Column: 21, Key: "aws_access_key_id", Excerpt: "AKIA…"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Find() = %+v\nwant %+v", got, want)
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "…"},
		{"abc", "…"},
		{"hunter2", "h…"},
		{"s3cr3t-Pa55w0rd", "s3c…"},
		{akia, "AKIA…"},
		{"ünïcödé-pässwörd", "ünïc…"},
		{"abcdefghijk\nl", "abc…"}, {"ab\nxxxxxxxxxx", "ab…"},
	} {
		if got := excerpt([]byte(tc.in)); got != tc.want {
			t.Errorf("excerpt(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
