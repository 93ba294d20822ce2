import type { Stack } from "./stack.js";

/** Folder of the generated manifests. */
export const K8S_DIR = "k8s";
/** Tag of the image in the manifests until CI sets the commit's image (kustomize edit set image). */
export const INITIAL_TAG = "0.1.0";
/** preStop delay: endpoints are removed after SIGTERM is sent, so keep serving this long first. */
const PRE_STOP_SECONDS = 5;
/** Time the app gets after SIGTERM to finish in-flight requests (matches drain.timeout in slipway.yaml). */
const DRAIN_SECONDS = 30;

/** Memory per language: requests and limits. */
const MEMORY: Readonly<Record<string, [string, string]>> = { node: ["192Mi", "512Mi"], python: ["192Mi", "512Mi"], go: ["64Mi", "256Mi"] };

/**
 * The Kubernetes manifests, one file per object plus a kustomization that CI
 * uses to set the image: Deployment, Service, PodDisruptionBudget and
 * HorizontalPodAutoscaler. Paths are relative to the project root.
 *
 * @example
 * kubernetesManifests(stack).map((f) => f.path); // ["k8s/deployment.yaml", "k8s/service.yaml", ...]
 */
export function kubernetesManifests(stack: Stack): { path: string; content: string }[] {
  return [
    { path: `${K8S_DIR}/deployment.yaml`, content: deployment(stack) },
    { path: `${K8S_DIR}/service.yaml`, content: service(stack) },
    { path: `${K8S_DIR}/pdb.yaml`, content: podDisruptionBudget(stack) },
    { path: `${K8S_DIR}/hpa.yaml`, content: horizontalPodAutoscaler(stack) },
    { path: `${K8S_DIR}/kustomization.yaml`, content: kustomization() },
  ];
}

const header = (stack: Stack, what: string): string =>
  `# ${what} of ${stack.name}, written by \`slipway init\` (see docs/init.md).\n# Deployed by CI with \`kubectl apply -k ${K8S_DIR}\`.\n`;

function deployment(stack: Stack): string {
  const [memRequest, memLimit] = MEMORY[stack.language?.language ?? "node"] ?? ["192Mi", "512Mi"];
  const nextCache = stack.language?.language === "node" && stack.language.framework === "next";
  return `${header(stack, "Deployment")}apiVersion: apps/v1
kind: Deployment
${metadata(stack)}spec:
  # Two or more: a node drain, an eviction or a crash is not downtime. The HPA scales from here
  # (remove this line once the HPA is in place if you do not want \`kubectl apply\` to reset it).
  replicas: 2
  # ReplicaSets kept for \`kubectl rollout undo\`.
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    # Start a new pod before stopping an old one: never fewer ready pods than desired.
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  selector:
    matchLabels:
      app.kubernetes.io/name: ${stack.name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${stack.name}
    spec:
      # preStop (${PRE_STOP_SECONDS} s) + draining in-flight requests (${DRAIN_SECONDS} s) + margin, before SIGKILL.
      terminationGracePeriodSeconds: ${PRE_STOP_SECONDS + DRAIN_SECONDS + 5}
      automountServiceAccountToken: false
      securityContext:
        # The image's user (numeric, so the kubelet can check it is not root).
        runAsNonRoot: true
        runAsUser: ${stack.uid}
        runAsGroup: ${stack.uid}
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: ${stack.name}
          # CI replaces this with the commit's image (kustomize edit set image).
          image: ${stack.image}:${INITIAL_TAG}
          ports:
            - { name: http, containerPort: ${stack.port} }
          env:
            - { name: PORT, value: "${stack.port}" }
          # Startup: up to 60 s to start before the other probes count.
          startupProbe:
            httpGet: { path: ${stack.health.liveness}, port: http }
            periodSeconds: 2
            failureThreshold: 30
          # Readiness: out of the Service's endpoints quickly when it cannot serve.
          readinessProbe:
            httpGet: { path: ${stack.health.readiness}, port: http }
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          # Liveness: restart only a hung process, slower and more tolerant than readiness, so a
          # failing dependency takes pods out of rotation instead of restarting them all.
          livenessProbe:
            httpGet: { path: ${stack.health.liveness}, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          # Requests reserve capacity for scheduling; the memory limit stops a leak from taking the
          # node. No CPU limit: it would throttle the app, and the HPA scales on CPU instead.
          resources:
            requests: { cpu: 100m, memory: ${memRequest} }
            limits: { memory: ${memLimit} }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          lifecycle:
            # Keep serving while the endpoint removal reaches every node, then SIGTERM.
            # (Kubernetes 1.30+; on older clusters: exec: { command: [sleep, "${PRE_STOP_SECONDS}"] }.)
            preStop:
              sleep: { seconds: ${PRE_STOP_SECONDS} }
          # The root filesystem is read-only: temporary files go to memory-backed volumes.
          volumeMounts:
            - { name: tmp, mountPath: /tmp }${nextCache ? "\n            - { name: next-cache, mountPath: /app/.next/cache }" : ""}
      volumes:
        - { name: tmp, emptyDir: { medium: Memory, sizeLimit: 64Mi } }${nextCache ? "\n        - { name: next-cache, emptyDir: { sizeLimit: 256Mi } }" : ""}
`;
}

function service(stack: Stack): string {
  return `${header(stack, "Service")}apiVersion: v1
kind: Service
${metadata(stack)}spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: ${stack.name}
  ports:
    - { name: http, port: 80, targetPort: http }
`;
}

function podDisruptionBudget(stack: Stack): string {
  return `${header(stack, "PodDisruptionBudget")}# Node drains and cluster upgrades evict at most one pod at a time: one always keeps serving.
apiVersion: policy/v1
kind: PodDisruptionBudget
${metadata(stack)}spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ${stack.name}
`;
}

function horizontalPodAutoscaler(stack: Stack): string {
  return `${header(stack, "HorizontalPodAutoscaler")}# Scales between 2 and 10 pods to keep CPU around 70% of the requests.
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
${metadata(stack)}spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${stack.name}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: 70 }
`;
}

function kustomization(): string {
  return `# Kustomization of the manifests, written by \`slipway init\`: CI runs
# \`kustomize edit set image\` here to deploy the commit's image, then \`kubectl apply -k ${K8S_DIR}\`.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - pdb.yaml
  - hpa.yaml
`;
}

/** `metadata:` of every object: the app's name and the label the Service, PDB and HPA select by. */
function metadata(stack: Stack): string {
  return `metadata:
  name: ${stack.name}
  labels:
    app.kubernetes.io/name: ${stack.name}
`;
}
