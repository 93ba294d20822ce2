/**
 * Validation of Kubernetes objects against the official OpenAPI schemas, as
 * packaged by kubernetes-models (Kubernetes core and apps) and
 * @kubernetes-models/gateway-api (Gateway API v1). A cluster's API server
 * would refuse what these refuse; they do not check what only admission or a
 * controller decides (quotas, immutable fields, references to other objects).
 */
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Lease } from "kubernetes-models/coordination.k8s.io/v1";
import { Service } from "kubernetes-models/v1";

type Model = { validate(): void };

const MODELS: Record<string, (obj: never) => Model> = {
  "apps/v1/Deployment": (obj) => new Deployment(obj),
  "v1/Service": (obj) => new Service(obj),
  "coordination.k8s.io/v1/Lease": (obj) => new Lease(obj),
  "gateway.networking.k8s.io/v1/HTTPRoute": (obj) => new HTTPRoute(obj),
};

/** Throws, naming the object and the schema's complaint, when `obj` is not a valid object of its kind. */
export function validateKubeObject(obj: object): void {
  const { apiVersion, kind, metadata } = obj as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
  const make = MODELS[`${apiVersion}/${kind}`];
  if (!make) throw new Error(`no schema here for ${apiVersion} ${kind}`);
  // The models take JSON: dates as the RFC 3339 strings they are on the wire.
  const wire = JSON.parse(JSON.stringify(obj)) as never;
  try {
    make(wire).validate();
  } catch (err) {
    throw new Error(`${kind} ${metadata?.name ?? "?"} does not pass the ${apiVersion} schema: ${(err as Error).message}`, { cause: err });
  }
}
