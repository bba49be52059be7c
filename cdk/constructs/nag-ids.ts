/**
 * cdk-nag names a wildcard finding after the resource as it appears in the template, with intrinsics
 * flattened (`{Ref: AWS::Partition}` → `<AWS::Partition>`, GetAtt → `<Id.Attr>`). The same ARN token
 * renders differently in an environment-agnostic stack and in one with a known account and region, so
 * acknowledgments compute the id from the token instead of spelling it out.
 */
import type { Stack } from 'aws-cdk-lib';

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
  if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  return JSON.stringify(node);
}

/** The resource part of a cdk-nag finding id (`AwsSolutions-IAM5[Resource::<this>]`) for `resource`. */
export function nagResourceId(stack: Stack, resource: string): string {
  return flatten(stack.resolve(resource));
}
